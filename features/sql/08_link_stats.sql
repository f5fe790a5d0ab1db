-- Linkage across industries and out of the cluster, and how concentrated links are. A link's
-- normalised weight `w` is its weight divided by the mean weight of its type in the
-- cluster-year (docs/features.md), so a sum of `w` over a group of links is, type by type,
-- the group's weight over the type's mean.
WITH type_means AS (
    SELECT cy, type_key, SUM(weight) / SUM(n_links) AS mean_weight
    FROM link_groups
    GROUP BY cy, type_key
),
pairs AS (
    SELECT
        g.cy, g.division_a, g.division_b,
        SUM(g.n_links) AS n_links,
        SUM(g.weight / m.mean_weight) AS pair_w,
        SUM(g.external_weight / m.mean_weight) AS external_w,
        SUM(g.research_weight / m.mean_weight) AS research_w,
        SUM(g.tech_transfer_in) AS tech_transfer_in,
        SUM(g.tech_transfer_in / m.mean_weight) AS tech_transfer_in_w,
        SUM(g.cooperation_weight / m.mean_weight) AS cooperation_w
    FROM link_groups AS g
    JOIN type_means AS m ON g.cy = m.cy AND g.type_key = m.type_key
    GROUP BY g.cy, g.division_a, g.division_b
),
per_cluster AS (
    SELECT
        cy,
        SUM(n_links) AS n_links,
        SUM(pair_w) AS w_total,
        SUM(CASE WHEN division_a <> division_b THEN pair_w ELSE 0 END) AS w_cross,
        SUM(external_w) AS w_external,
        SUM(research_w) AS w_research,
        SUM(tech_transfer_in) AS tech_transfer_in,
        SUM(tech_transfer_in_w) AS w_tech_in,
        SUM(cooperation_w) AS w_cooperation
    FROM pairs
    GROUP BY cy
),
divisions_present AS (
    SELECT cy, COUNT(DISTINCT division) AS n_divisions
    FROM (
        SELECT cy, division_a AS division FROM pairs
        UNION ALL
        SELECT cy, division_b AS division FROM pairs
    ) AS ends
    GROUP BY cy
),
pair_entropy AS (
    SELECT
        p.cy,
        -SUM((p.pair_w / c.w_total) * LN(p.pair_w / c.w_total)) / LN(2.0)
            AS industry_pair_entropy
    FROM pairs AS p
    JOIN per_cluster AS c ON p.cy = c.cy
    GROUP BY p.cy
),
end_weights AS (
    -- every end of a link that lies in a cluster-year, with the link's normalised weight
    -- there: the member ends of cluster_links and the far ends of its internal links
    SELECT e.node, e.cy, e.weight / m.mean_weight AS w
    FROM (
        SELECT source_row AS node, source_cy AS cy, type_key, weight
        FROM link_ends
        WHERE source_cy IS NOT NULL AND target_row IS NOT NULL
        UNION ALL
        SELECT target_row AS node, target_cy AS cy, type_key, weight
        FROM link_ends
        WHERE target_cy IS NOT NULL AND source_row IS NOT NULL
    ) AS e
    JOIN type_means AS m ON e.cy = m.cy AND e.type_key = m.type_key
),
edges AS (
    -- the two ends of an internal link lie in one cluster-year, so the pair alone names it;
    -- `supply` marks a pair joined by a supply link (the chain inside the cluster)
    SELECT
        LEAST(source_row, target_row) AS node_a,
        GREATEST(source_row, target_row) AS node_b,
        MAX(CASE WHEN supply THEN 1 ELSE 0 END) AS supply
    FROM link_ends
    WHERE source_cy = target_cy
    GROUP BY LEAST(source_row, target_row), GREATEST(source_row, target_row)
),
node_stats AS (
    -- a firms row lies in one cluster-year, so the row alone names a node; its strength is
    -- the sum of w over its ends, its degree the number of distinct internal partners (of
    -- them, its supply partners)
    SELECT
        node, MIN(cy) AS cy, SUM(w) AS node_w, SUM(edge) AS degree,
        SUM(supply_edge) AS supply_degree
    FROM (
        SELECT node, cy, w, 0 AS edge, 0 AS supply_edge FROM end_weights
        UNION ALL
        SELECT node_a AS node, NULL AS cy, 0.0 AS w, 1 AS edge, supply AS supply_edge FROM edges
        UNION ALL
        SELECT node_b AS node, NULL AS cy, 0.0 AS w, 1 AS edge, supply AS supply_edge FROM edges
    ) AS node_rows
    GROUP BY node
),
cluster_nodes AS (
    SELECT
        cy, MAX(node_w) AS top_w, MAX(degree) AS degree_max, SUM(degree) AS degree_sum,
        MAX(supply_degree) AS supply_degree_max, SUM(supply_degree) AS supply_degree_sum
    FROM node_stats
    GROUP BY cy
)
SELECT
    k.cluster_id,
    k.year,
    c.n_links,
    c.w_total,
    c.w_cross,
    c.w_external,
    c.w_research,
    c.tech_transfer_in,
    c.w_tech_in,
    c.w_cooperation,
    e.industry_pair_entropy,
    d.n_divisions,
    s.top_w,
    s.degree_max,
    s.degree_sum,
    s.supply_degree_max,
    s.supply_degree_sum
FROM per_cluster AS c
JOIN cluster_years AS k ON c.cy = k.cy
JOIN pair_entropy AS e ON c.cy = e.cy
JOIN divisions_present AS d ON c.cy = d.cy
JOIN cluster_nodes AS s ON c.cy = s.cy
