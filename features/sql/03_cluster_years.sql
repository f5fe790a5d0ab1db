-- A small integer key per cluster-year, so that the link stages below group and join on one
-- integer rather than on (cluster_id, year).
SELECT
    cluster_id,
    year,
    CAST(ROW_NUMBER() OVER (ORDER BY cluster_id, year) AS INT) AS cy
FROM firm_stats
