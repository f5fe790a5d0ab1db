-- Employment by division and sector group: location quotient and related/unrelated variety.
-- The totals each division is compared with (its cluster-year, its division across clusters
-- that year, the year, its sector group in the cluster-year) are sums over windows of one
-- table of divisions, so no total is joined back to it.
WITH division_employment AS (
    SELECT cluster_id, year, industry_code, sector_group, SUM(employees) AS e
    FROM members
    WHERE is_enterprise
    GROUP BY cluster_id, year, industry_code, sector_group
),
divisions AS (
    SELECT
        cluster_id, year, industry_code, sector_group, e,
        SUM(e) OVER (PARTITION BY cluster_id, year) AS e_cluster,
        SUM(e) OVER (PARTITION BY year, industry_code) AS e_division,
        SUM(e) OVER (PARTITION BY year) AS e_all,
        SUM(CASE WHEN e > 0 THEN e END) OVER (PARTITION BY cluster_id, year, sector_group)
            AS e_group,
        ROW_NUMBER() OVER (PARTITION BY cluster_id, year ORDER BY e DESC, industry_code)
            AS position
    FROM division_employment
),
within_group AS (
    SELECT
        cluster_id, year, sector_group,
        MAX(e_group) AS e_group,
        MAX(e_cluster) AS e_cluster,
        -SUM((e / e_group) * LN(e / e_group)) / LN(2.0) AS h_group
    FROM divisions
    WHERE e > 0
    GROUP BY cluster_id, year, sector_group
),
variety AS (
    SELECT
        cluster_id, year,
        -SUM((e_group / e_cluster) * LN(e_group / e_cluster)) / LN(2.0) AS unrelated_variety,
        SUM((e_group / e_cluster) * h_group) AS related_variety
    FROM within_group
    GROUP BY cluster_id, year
)
SELECT
    m.cluster_id,
    m.year,
    (m.e / NULLIF(m.e_cluster, 0)) / NULLIF(m.e_division / NULLIF(m.e_all, 0), 0)
        AS location_quotient,
    v.unrelated_variety,
    v.related_variety
FROM divisions AS m
LEFT JOIN variety AS v ON m.cluster_id = v.cluster_id AND m.year = v.year
WHERE m.position = 1
