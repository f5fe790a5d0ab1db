-- What a link needs to know about each of its ends: the firms row (`firm_row`, one per firm
-- and year), the cluster-year it belongs to (NULL outside every cluster), its division and
-- whether it is an enterprise or a research body. Integers and flags only, to keep the
-- link stages small.
SELECT
    f.firm_id,
    f.year,
    CAST(f.firm_row AS INT) AS firm_row,
    c.cy,
    CAST(f.industry_code AS INT) AS division,
    f.entity_type = 'enterprise' AS is_enterprise,
    f.entity_type IN ('university', 'research_institute') AS is_research
FROM firms AS f
LEFT JOIN cluster_years AS c ON f.cluster_id = c.cluster_id AND f.year = c.year
