-- Every link seen from each cluster-year it touches: a link inside a cluster appears once, a
-- link between two clusters once for each. `member_row` is the end inside the cluster.
SELECT
    source_cy AS cy, type_key, tech_transfer, cooperation, weight,
    source_row AS member_row, target_row AS other_row, division_a, division_b, research,
    (target_cy IS NULL OR target_cy <> source_cy) AS external,
    FALSE AS incoming
FROM link_ends
WHERE source_cy IS NOT NULL AND target_row IS NOT NULL
UNION ALL
SELECT
    target_cy AS cy, type_key, tech_transfer, cooperation, weight,
    target_row AS member_row, source_row AS other_row, division_a, division_b, research,
    TRUE AS external,
    TRUE AS incoming
FROM link_ends
WHERE target_cy IS NOT NULL AND source_row IS NOT NULL
  AND (source_cy IS NULL OR source_cy <> target_cy)
