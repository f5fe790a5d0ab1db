-- Employment by division and sector group: location quotient and related/unrelated variety.
WITH division_employment AS (
    SELECT cluster_id, year, industry_code, sector_group, SUM(employees) AS e
    FROM members
    WHERE is_enterprise
    GROUP BY cluster_id, year, industry_code, sector_group
),
cluster_total AS (
    SELECT cluster_id, year, SUM(e) AS e_cluster
    FROM division_employment
    GROUP BY cluster_id, year
),
main_division AS (
    SELECT cluster_id, year, industry_code, e
    FROM (
        SELECT
            cluster_id, year, industry_code, e,
            ROW_NUMBER() OVER (PARTITION BY cluster_id, year ORDER BY e DESC, industry_code)
                AS position
        FROM division_employment
    ) AS ranked
    WHERE position = 1
),
all_division AS (
    SELECT year, industry_code, SUM(e) AS e_division
    FROM division_employment
    GROUP BY year, industry_code
),
all_total AS (
    SELECT year, SUM(e) AS e_all
    FROM division_employment
    GROUP BY year
),
group_employment AS (
    SELECT cluster_id, year, sector_group, SUM(e) AS e_group
    FROM division_employment
    WHERE e > 0
    GROUP BY cluster_id, year, sector_group
),
within_group AS (
    SELECT
        d.cluster_id, d.year, d.sector_group,
        -SUM((d.e / g.e_group) * LN(d.e / g.e_group)) / LN(2.0) AS h_group
    FROM division_employment AS d
    JOIN group_employment AS g
        ON d.cluster_id = g.cluster_id AND d.year = g.year AND d.sector_group = g.sector_group
    WHERE d.e > 0
    GROUP BY d.cluster_id, d.year, d.sector_group
),
variety AS (
    SELECT
        g.cluster_id, g.year,
        -SUM((g.e_group / t.e_cluster) * LN(g.e_group / t.e_cluster)) / LN(2.0)
            AS unrelated_variety,
        SUM((g.e_group / t.e_cluster) * w.h_group) AS related_variety
    FROM group_employment AS g
    JOIN cluster_total AS t ON g.cluster_id = t.cluster_id AND g.year = t.year
    JOIN within_group AS w
        ON g.cluster_id = w.cluster_id AND g.year = w.year AND g.sector_group = w.sector_group
    GROUP BY g.cluster_id, g.year
)
SELECT
    t.cluster_id,
    t.year,
    (m.e / NULLIF(t.e_cluster, 0)) / NULLIF(d.e_division / NULLIF(a.e_all, 0), 0)
        AS location_quotient,
    v.unrelated_variety,
    v.related_variety
FROM cluster_total AS t
JOIN main_division AS m ON t.cluster_id = m.cluster_id AND t.year = m.year
JOIN all_division AS d ON m.year = d.year AND m.industry_code = d.industry_code
JOIN all_total AS a ON t.year = a.year
LEFT JOIN variety AS v ON t.cluster_id = v.cluster_id AND t.year = v.year
