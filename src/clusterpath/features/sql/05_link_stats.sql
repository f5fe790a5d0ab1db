-- Linkage across industries and out of the cluster, and how concentrated links are.
WITH per_cluster AS (
    SELECT
        cluster_id, year,
        COUNT(*) AS n_links,
        SUM(w) AS w_total,
        SUM(CASE WHEN source_division <> target_division THEN w ELSE 0 END) AS w_cross,
        SUM(CASE WHEN external THEN w ELSE 0 END) AS w_external,
        SUM(CASE WHEN (source_type = 'enterprise'
                       AND target_type IN ('university', 'research_institute'))
                   OR (target_type = 'enterprise'
                       AND source_type IN ('university', 'research_institute'))
            THEN w ELSE 0 END) AS w_research,
        SUM(CASE WHEN incoming AND link_type = 'tech_transfer' THEN weight ELSE 0 END)
            AS tech_transfer_in
    FROM cluster_links
    GROUP BY cluster_id, year
),
pairs AS (
    SELECT
        cluster_id, year,
        LEAST(source_division, target_division) AS division_a,
        GREATEST(source_division, target_division) AS division_b,
        SUM(w) AS pair_w
    FROM cluster_links
    GROUP BY cluster_id, year, LEAST(source_division, target_division),
        GREATEST(source_division, target_division)
),
pair_entropy AS (
    SELECT
        p.cluster_id, p.year,
        -SUM((p.pair_w / c.w_total) * LN(p.pair_w / c.w_total)) / LN(2.0)
            AS industry_pair_entropy
    FROM pairs AS p
    JOIN per_cluster AS c ON p.cluster_id = c.cluster_id AND p.year = c.year
    GROUP BY p.cluster_id, p.year
),
member_ends AS (
    SELECT cluster_id, year, member_id AS node, w FROM cluster_links
    UNION ALL
    SELECT cluster_id, year, other_id AS node, w FROM cluster_links WHERE NOT external
),
strength AS (
    SELECT cluster_id, year, node, SUM(w) AS node_w
    FROM member_ends
    GROUP BY cluster_id, year, node
),
top_strength AS (
    SELECT cluster_id, year, MAX(node_w) AS top_w
    FROM strength
    GROUP BY cluster_id, year
),
edges AS (
    SELECT DISTINCT
        cluster_id, year,
        LEAST(member_id, other_id) AS node_a,
        GREATEST(member_id, other_id) AS node_b
    FROM cluster_links
    WHERE NOT external
),
degrees AS (
    SELECT cluster_id, year, node, COUNT(*) AS degree
    FROM (
        SELECT cluster_id, year, node_a AS node FROM edges
        UNION ALL
        SELECT cluster_id, year, node_b AS node FROM edges
    ) AS e
    GROUP BY cluster_id, year, node
),
degree_stats AS (
    SELECT cluster_id, year, MAX(degree) AS degree_max, SUM(degree) AS degree_sum
    FROM degrees
    GROUP BY cluster_id, year
)
SELECT
    c.*,
    e.industry_pair_entropy,
    s.top_w,
    d.degree_max,
    d.degree_sum
FROM per_cluster AS c
JOIN pair_entropy AS e ON c.cluster_id = e.cluster_id AND c.year = e.year
JOIN top_strength AS s ON c.cluster_id = s.cluster_id AND c.year = s.year
LEFT JOIN degree_stats AS d ON c.cluster_id = d.cluster_id AND c.year = d.year
