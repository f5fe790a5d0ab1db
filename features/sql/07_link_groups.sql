-- Link counts and weights per cluster-year, link type and (unordered) industry pair. Every
-- cluster-level link indicator is a sum over these groups, which are far fewer than links.
SELECT
    cy,
    type_key,
    division_a,
    division_b,
    COUNT(*) AS n_links,
    SUM(weight) AS weight,
    SUM(CASE WHEN external THEN weight ELSE 0 END) AS external_weight,
    SUM(CASE WHEN research THEN weight ELSE 0 END) AS research_weight,
    SUM(CASE WHEN incoming AND tech_transfer THEN weight ELSE 0 END) AS tech_transfer_in,
    SUM(CASE WHEN cooperation THEN weight ELSE 0 END) AS cooperation_weight
FROM cluster_links
GROUP BY cy, type_key, division_a, division_b
