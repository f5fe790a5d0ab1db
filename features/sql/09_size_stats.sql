-- Concentration of enterprise revenue: Gini, HHI, top-1 and top-5 shares, the leader's lead
-- over the runner-up, Hill tail exponent.
-- One ranking serves all of them: ranks only matter through the revenue they point at, so
-- how ties are ordered changes nothing, and the positive revenues are the top ranks, so the
-- rank from the top is also the rank among positive revenues. The cluster-year's totals and
-- the tail's threshold come with the ranking, over the same partition, so the members are
-- sorted once and grouped once.
WITH ranked AS (
    SELECT
        cluster_id, year, revenue,
        ROW_NUMBER() OVER (PARTITION BY cluster_id, year ORDER BY revenue DESC) AS rank_down,
        COUNT(*) OVER (PARTITION BY cluster_id, year) AS n,
        SUM(revenue) OVER (PARTITION BY cluster_id, year) AS total,
        COUNT(CASE WHEN revenue > 0 THEN 1 END) OVER (PARTITION BY cluster_id, year)
            AS n_positive
    FROM members
    WHERE is_enterprise
),
tail AS (
    -- the k largest positive revenues and the (k+1)-th, the threshold x_next
    SELECT
        *,
        MAX(CASE WHEN rank_down = k + 1 AND revenue > 0 THEN revenue END)
            OVER (PARTITION BY cluster_id, year) AS x_next
    FROM (SELECT *, CAST(FLOOR(SQRT(n_positive)) AS BIGINT) AS k FROM ranked) AS counted
),
concentration AS (
    -- ln(x_i / x_(k+1)) is exactly 0 for revenues equal to the threshold, so a flat tail
    -- gives a spread of exactly 0 rather than a rounding residue.
    SELECT
        cluster_id, year,
        CASE WHEN MAX(n) >= 2 AND MAX(total) > 0 THEN
            2.0 * SUM((n + 1 - rank_down) * revenue) / (MAX(n) * MAX(total))
                - (MAX(n) + 1.0) / MAX(n)
        END AS revenue_gini,
        SUM(POWER(revenue / NULLIF(total, 0), 2)) AS revenue_hhi,
        MAX(revenue) / NULLIF(MAX(total), 0) AS top1_revenue_share,
        MAX(CASE WHEN rank_down = 2 THEN revenue END) AS second_revenue,
        CASE WHEN MAX(n) >= 2 THEN
            MAX(revenue) / NULLIF(MAX(CASE WHEN rank_down = 2 THEN revenue END), 0)
        END AS top1_to_top2_revenue_ratio,
        SUM(CASE WHEN rank_down <= 5 THEN revenue ELSE 0 END) / NULLIF(MAX(total), 0)
            AS top5_revenue_share,
        MAX(n_positive) AS n_positive,
        MAX(k) AS k,
        SUM(
            CASE WHEN rank_down <= k + 1 AND revenue > 0 THEN
                CASE WHEN rank_down <= k THEN LN(revenue / x_next) ELSE 0 END
            END
        ) AS tail_spread
    FROM tail
    GROUP BY cluster_id, year
)
SELECT
    cluster_id, year, revenue_gini, revenue_hhi, top1_revenue_share, second_revenue,
    top1_to_top2_revenue_ratio, top5_revenue_share,
    CASE WHEN n_positive > 0 THEN n_positive END AS tail_n,
    tail_spread,
    CASE WHEN n_positive >= 25 AND tail_spread > 0 THEN k / tail_spread END
        AS size_tail_exponent
FROM concentration
