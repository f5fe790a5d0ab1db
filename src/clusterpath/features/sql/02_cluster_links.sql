-- Every link seen from each cluster it touches: a link inside a cluster appears once, a link
-- between two clusters once for each. `w` is the weight divided by the mean weight of its type
-- in the cluster-year, so link types can be combined without mixing money and counts.
WITH ends AS (
    SELECT
        l.source_id, l.target_id, l.year, l.link_type, CAST(l.weight AS DOUBLE) AS weight,
        s.cluster_id AS source_cluster, t.cluster_id AS target_cluster,
        s.industry_code AS source_division, t.industry_code AS target_division,
        s.entity_type AS source_type, t.entity_type AS target_type
    FROM links AS l
    JOIN firms AS s ON l.source_id = s.firm_id AND l.year = s.year
    JOIN firms AS t ON l.target_id = t.firm_id AND l.year = t.year
),
seen AS (
    SELECT
        source_cluster AS cluster_id, year, link_type, weight,
        source_id AS member_id, target_id AS other_id,
        source_division, target_division, source_type, target_type,
        (target_cluster IS NULL OR target_cluster <> source_cluster) AS external,
        FALSE AS incoming
    FROM ends
    WHERE source_cluster IS NOT NULL
    UNION ALL
    SELECT
        target_cluster AS cluster_id, year, link_type, weight,
        target_id AS member_id, source_id AS other_id,
        source_division, target_division, source_type, target_type,
        TRUE AS external,
        TRUE AS incoming
    FROM ends
    WHERE target_cluster IS NOT NULL
      AND (source_cluster IS NULL OR source_cluster <> target_cluster)
)
SELECT
    *,
    weight / AVG(weight) OVER (PARTITION BY cluster_id, year, link_type) AS w
FROM seen
