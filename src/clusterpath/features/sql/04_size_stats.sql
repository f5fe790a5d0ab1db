-- Concentration of enterprise revenue: Gini, HHI, top-1 and top-5 shares, Hill tail exponent.
WITH ranked AS (
    SELECT
        cluster_id, year, revenue,
        ROW_NUMBER() OVER (PARTITION BY cluster_id, year ORDER BY revenue ASC) AS rank_up,
        ROW_NUMBER() OVER (PARTITION BY cluster_id, year ORDER BY revenue DESC) AS rank_down,
        COUNT(*) OVER (PARTITION BY cluster_id, year) AS n,
        SUM(revenue) OVER (PARTITION BY cluster_id, year) AS total
    FROM members
    WHERE is_enterprise
),
tail AS (
    SELECT
        cluster_id, year, revenue,
        ROW_NUMBER() OVER (PARTITION BY cluster_id, year ORDER BY revenue DESC) AS rank_down,
        CAST(FLOOR(SQRT(COUNT(*) OVER (PARTITION BY cluster_id, year))) AS BIGINT) AS k,
        COUNT(*) OVER (PARTITION BY cluster_id, year) AS n_positive
    FROM members
    WHERE is_enterprise AND revenue > 0
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
        MAX(t.n_positive) AS n_positive,
        MAX(t.k) AS k,
        SUM(CASE WHEN t.rank_down <= t.k THEN LN(t.revenue / h.x_next) ELSE 0 END)
            AS tail_spread
    FROM tail AS t
    LEFT JOIN tail_threshold AS h ON t.cluster_id = h.cluster_id AND t.year = h.year
    GROUP BY t.cluster_id, t.year
),
concentration AS (
    SELECT
        cluster_id, year,
        CASE WHEN MAX(n) >= 2 AND MAX(total) > 0 THEN
            2.0 * SUM(rank_up * revenue) / (MAX(n) * MAX(total)) - (MAX(n) + 1.0) / MAX(n)
        END AS revenue_gini,
        SUM(POWER(revenue / NULLIF(total, 0), 2)) AS revenue_hhi,
        MAX(revenue) / NULLIF(MAX(total), 0) AS top1_revenue_share,
        SUM(CASE WHEN rank_down <= 5 THEN revenue ELSE 0 END) / NULLIF(MAX(total), 0)
            AS top5_revenue_share
    FROM ranked
    GROUP BY cluster_id, year
)
SELECT
    c.*,
    t.n_positive AS tail_n,
    t.tail_spread,
    CASE WHEN t.n_positive >= 25 AND t.tail_spread > 0 THEN t.k / t.tail_spread END
        AS size_tail_exponent
FROM concentration AS c
LEFT JOIN tail_stats AS t ON c.cluster_id = t.cluster_id AND c.year = t.year
