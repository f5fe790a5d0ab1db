-- Concentration of enterprise revenue: Gini, HHI, top-1 and top-5 shares, the leader's lead
-- over the runner-up, Hill tail exponent.
-- One ranking serves all of them: ranks only matter through the revenue they point at, so
-- how ties are ordered changes nothing, and the positive revenues are the top ranks, so the
-- rank from the top is also the rank among positive revenues.
WITH totals AS (
    SELECT
        cluster_id, year,
        COUNT(*) AS n,
        SUM(revenue) AS total,
        COUNT(CASE WHEN revenue > 0 THEN 1 END) AS n_positive,
        CAST(FLOOR(SQRT(COUNT(CASE WHEN revenue > 0 THEN 1 END))) AS BIGINT) AS k
    FROM members
    WHERE is_enterprise
    GROUP BY cluster_id, year
),
ranked AS (
    SELECT
        m.cluster_id, m.year, m.revenue,
        ROW_NUMBER() OVER (PARTITION BY m.cluster_id, m.year ORDER BY m.revenue DESC)
            AS rank_down
    FROM members AS m
    WHERE m.is_enterprise
),
concentration AS (
    SELECT
        r.cluster_id, r.year,
        CASE WHEN MAX(t.n) >= 2 AND MAX(t.total) > 0 THEN
            2.0 * SUM((t.n + 1 - r.rank_down) * r.revenue) / (MAX(t.n) * MAX(t.total))
                - (MAX(t.n) + 1.0) / MAX(t.n)
        END AS revenue_gini,
        SUM(POWER(r.revenue / NULLIF(t.total, 0), 2)) AS revenue_hhi,
        MAX(r.revenue) / NULLIF(MAX(t.total), 0) AS top1_revenue_share,
        MAX(CASE WHEN r.rank_down = 2 THEN r.revenue END) AS second_revenue,
        CASE WHEN MAX(t.n) >= 2 THEN
            MAX(r.revenue) / NULLIF(MAX(CASE WHEN r.rank_down = 2 THEN r.revenue END), 0)
        END AS top1_to_top2_revenue_ratio,
        SUM(CASE WHEN r.rank_down <= 5 THEN r.revenue ELSE 0 END) / NULLIF(MAX(t.total), 0)
            AS top5_revenue_share
    FROM ranked AS r
    JOIN totals AS t ON r.cluster_id = t.cluster_id AND r.year = t.year
    GROUP BY r.cluster_id, r.year
),
tail AS (
    -- the k largest positive revenues and the (k+1)-th, the threshold x_next
    SELECT r.cluster_id, r.year, r.revenue, r.rank_down, t.k
    FROM ranked AS r
    JOIN totals AS t ON r.cluster_id = t.cluster_id AND r.year = t.year
    WHERE r.rank_down <= t.k + 1 AND r.revenue > 0
),
tail_threshold AS (
    SELECT cluster_id, year, revenue AS x_next
    FROM tail
    WHERE rank_down = k + 1
),
tail_stats AS (
    -- ln(x_i / x_(k+1)) is exactly 0 for revenues equal to the threshold, so a flat tail
    -- gives a spread of exactly 0 rather than a rounding residue.
    SELECT
        t.cluster_id, t.year,
        SUM(CASE WHEN t.rank_down <= t.k THEN LN(t.revenue / h.x_next) ELSE 0 END)
            AS tail_spread
    FROM tail AS t
    LEFT JOIN tail_threshold AS h ON t.cluster_id = h.cluster_id AND t.year = h.year
    GROUP BY t.cluster_id, t.year
)
SELECT
    c.*,
    CASE WHEN t.n_positive > 0 THEN t.n_positive END AS tail_n,
    s.tail_spread,
    CASE WHEN t.n_positive >= 25 AND s.tail_spread > 0 THEN t.k / s.tail_spread END
        AS size_tail_exponent
FROM concentration AS c
JOIN totals AS t ON c.cluster_id = t.cluster_id AND c.year = t.year
LEFT JOIN tail_stats AS s ON c.cluster_id = s.cluster_id AND c.year = s.year
