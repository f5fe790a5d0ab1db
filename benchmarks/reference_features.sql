-- Every indicator of the catalogue in one plain DuckDB query over the extract's Parquet
-- files, written the straightforward way: joins on the text ids, window functions over
-- (cluster_id, year), one CTE per idea. It is the yardstick of benchmarks/bench_features.py
-- (benchmarks/reference_features.py runs it after the same contract checks) and a test holds
-- it to the engine's values, so the two cannot drift apart.
--
-- {firms} and {links} are the Parquet paths; `industries` is the reference table of divisions
-- (code, sector_group, traditional, digital), registered by the caller.
WITH
firms AS (SELECT * FROM read_parquet('{firms}')),
links AS (SELECT * FROM read_parquet('{links}')),
members AS (
    SELECT
        f.firm_id, f.year, f.cluster_id, f.industry_code, f.founded_year,
        CAST(f.employees AS DOUBLE) AS employees,
        CAST(f.revenue AS DOUBLE) AS revenue,
        CAST(f.rd_expense AS DOUBLE) AS rd_expense,
        CAST(f.invention_patents AS DOUBLE) AS invention_patents,
        CAST(f.utility_patents AS DOUBLE) AS utility_patents,
        f.ownership, f.hq_outside,
        CAST(f.vc_funding AS DOUBLE) AS vc_funding,
        COALESCE(i.sector_group, 'division_' || f.industry_code) AS sector_group,
        COALESCE(i.traditional, FALSE) AS traditional,
        COALESCE(i.digital, FALSE) AS digital,
        f.entity_type = 'enterprise' AS is_enterprise,
        f.entity_type IN ('university', 'research_institute') AS is_research
    FROM firms AS f
    LEFT JOIN industries AS i ON f.industry_code = i.code
    WHERE f.cluster_id IS NOT NULL
),
-- sums and counts per cluster-year
stats AS (
    SELECT
        cluster_id, year,
        COUNT(*) AS n_members,
        COUNT(*) FILTER (WHERE is_enterprise) AS n_ent,
        COUNT(*) FILTER (WHERE is_research) AS n_research,
        SUM(revenue) FILTER (WHERE is_enterprise) AS revenue,
        SUM(rd_expense) FILTER (WHERE is_enterprise) AS rd,
        SUM(employees) FILTER (WHERE is_enterprise) AS employees,
        SUM(invention_patents) FILTER (WHERE is_enterprise) AS inventions,
        SUM(invention_patents + utility_patents) FILTER (WHERE is_enterprise) AS patents,
        COUNT(*) FILTER (WHERE is_enterprise AND rd_expense > 0) AS n_rd,
        SUM(revenue) FILTER (WHERE is_enterprise AND rd_expense > 0) AS rd_firm_revenue,
        COUNT(*) FILTER (WHERE is_enterprise AND employees < 300) AS n_sme,
        COUNT(*) FILTER (WHERE is_enterprise AND year - founded_year < 3) AS n_new,
        COUNT(*) FILTER (WHERE is_enterprise AND revenue >= 2000) AS n_above,
        COUNT(*) FILTER (WHERE is_enterprise AND revenue >= 2000 AND year - founded_year < 3)
            AS n_above_new,
        AVG(year - founded_year) FILTER (WHERE is_enterprise) AS mean_age,
        COALESCE(SUM(revenue) FILTER (WHERE is_enterprise AND ownership IN ('foreign', 'hmt')), 0)
            AS foreign_revenue,
        COALESCE(SUM(revenue) FILTER (WHERE is_enterprise AND hq_outside), 0)
            AS hq_outside_revenue,
        COALESCE(
            SUM(revenue) FILTER (
                WHERE is_enterprise AND hq_outside AND year - founded_year < 15
            ),
            0
        ) AS recent_outside_revenue,
        COALESCE(SUM(revenue) FILTER (WHERE is_enterprise AND year - founded_year >= 20), 0)
            AS incumbent_revenue,
        COALESCE(SUM(revenue) FILTER (WHERE is_enterprise AND traditional), 0)
            AS traditional_revenue,
        COALESCE(SUM(revenue) FILTER (WHERE is_enterprise AND digital), 0) AS digital_revenue,
        SUM(vc_funding) FILTER (WHERE is_enterprise) AS vc,
        MEDIAN(rd_expense / revenue) FILTER (WHERE is_enterprise AND revenue > 0)
            AS rd_intensity_median
    FROM members
    GROUP BY cluster_id, year
),
-- revenue concentration: every enterprise with its rank from the top and its cluster's totals
ranked AS (
    SELECT
        cluster_id, year, revenue,
        ROW_NUMBER() OVER (PARTITION BY cluster_id, year ORDER BY revenue DESC) AS rank_down,
        COUNT(*) OVER (PARTITION BY cluster_id, year) AS n,
        SUM(revenue) OVER (PARTITION BY cluster_id, year) AS total,
        COUNT(*) FILTER (WHERE revenue > 0) OVER (PARTITION BY cluster_id, year) AS n_positive
    FROM members
    WHERE is_enterprise
),
hill AS (
    SELECT *, CAST(FLOOR(SQRT(n_positive)) AS BIGINT) AS k FROM ranked
),
size AS (
    SELECT
        cluster_id, year,
        CASE WHEN MAX(n) >= 2 AND MAX(total) > 0 THEN
            2.0 * SUM((n + 1 - rank_down) * revenue) / (MAX(n) * MAX(total))
                - (MAX(n) + 1.0) / MAX(n)
        END AS revenue_gini,
        SUM(POWER(revenue / NULLIF(total, 0), 2)) AS revenue_hhi,
        MAX(revenue) / NULLIF(MAX(total), 0) AS top1_revenue_share,
        CASE WHEN MAX(n) >= 2 THEN
            MAX(revenue) / NULLIF(MAX(revenue) FILTER (WHERE rank_down = 2), 0)
        END AS top1_to_top2_revenue_ratio,
        SUM(revenue) FILTER (WHERE rank_down <= 5) / NULLIF(MAX(total), 0)
            AS top5_revenue_share,
        MAX(n_positive) AS n_positive,
        MAX(k) AS k,
        MAX(revenue) FILTER (WHERE rank_down = k + 1) AS x_next
    FROM hill
    GROUP BY cluster_id, year
),
tail AS (
    SELECT
        s.cluster_id, s.year,
        CASE WHEN s.n_positive >= 25 THEN
            s.k / NULLIF(SUM(LN(h.revenue / s.x_next)), 0)
        END AS size_tail_exponent
    FROM size AS s
    JOIN hill AS h ON h.cluster_id = s.cluster_id AND h.year = s.year AND h.rank_down <= s.k
    GROUP BY s.cluster_id, s.year, s.n_positive, s.k
),
-- links with both ends looked up by (id, year)
ends AS (
    SELECT
        l.link_type, CAST(l.weight AS DOUBLE) AS weight,
        l.source_id, l.target_id, l.year,
        s.cluster_id AS source_cluster, t.cluster_id AS target_cluster,
        s.industry_code <> t.industry_code AS cross_division,
        LEAST(s.industry_code, t.industry_code) AS division_a,
        GREATEST(s.industry_code, t.industry_code) AS division_b,
        (s.entity_type = 'enterprise' AND t.entity_type IN ('university', 'research_institute'))
            OR (t.entity_type = 'enterprise'
                AND s.entity_type IN ('university', 'research_institute')) AS research
    FROM links AS l
    JOIN firms AS s ON l.source_id = s.firm_id AND l.year = s.year
    JOIN firms AS t ON l.target_id = t.firm_id AND l.year = t.year
),
-- every link from each cluster it touches; `member` is its end inside the cluster, `other`
-- the far end
seen AS (
    SELECT
        source_cluster AS cluster_id, year, link_type, weight, cross_division,
        division_a, division_b, research, source_id AS member, target_id AS other,
        target_cluster IS NULL OR target_cluster <> source_cluster AS external,
        FALSE AS incoming
    FROM ends
    WHERE source_cluster IS NOT NULL
    UNION ALL
    SELECT
        target_cluster, year, link_type, weight, cross_division,
        division_a, division_b, research, target_id, source_id, TRUE, TRUE
    FROM ends
    WHERE target_cluster IS NOT NULL
      AND (source_cluster IS NULL OR source_cluster <> target_cluster)
),
-- each link's weight over the mean weight of its type among the cluster-year's links
normalised AS (
    SELECT *, weight / AVG(weight) OVER (PARTITION BY cluster_id, year, link_type) AS w
    FROM seen
),
link_shares AS (
    SELECT
        cluster_id, year,
        COUNT(*) AS n_links,
        SUM(w) AS w_total,
        COALESCE(SUM(w) FILTER (WHERE cross_division), 0) AS w_cross,
        COALESCE(SUM(w) FILTER (WHERE external), 0) AS w_external,
        COALESCE(SUM(w) FILTER (WHERE research), 0) AS w_research,
        SUM(weight) FILTER (WHERE incoming AND link_type = 'tech_transfer') AS tech_in,
        COALESCE(SUM(w) FILTER (WHERE incoming AND link_type = 'tech_transfer'), 0) AS w_tech_in,
        COALESCE(SUM(w) FILTER (WHERE link_type = 'cooperation'), 0) AS w_cooperation
    FROM normalised
    GROUP BY cluster_id, year
),
pair_weights AS (
    SELECT cluster_id, year, division_a, division_b, SUM(w) AS pair_w
    FROM normalised
    GROUP BY cluster_id, year, division_a, division_b
),
division_count AS (
    SELECT cluster_id, year, COUNT(DISTINCT division) AS n_divisions
    FROM (
        SELECT cluster_id, year, division_a AS division FROM pair_weights
        UNION ALL
        SELECT cluster_id, year, division_b AS division FROM pair_weights
    ) AS ends
    GROUP BY cluster_id, year
),
entropy AS (
    SELECT
        p.cluster_id, p.year,
        -SUM((p.pair_w / s.w_total) * LN(p.pair_w / s.w_total)) / LN(2.0)
            AS industry_pair_entropy
    FROM pair_weights AS p
    JOIN link_shares AS s ON p.cluster_id = s.cluster_id AND p.year = s.year
    GROUP BY p.cluster_id, p.year
),
-- a member's strength: the normalised weight of all its link ends (an internal link has
-- both ends in the cluster, each counting for its own firm)
strength AS (
    SELECT cluster_id, year, member, SUM(w) AS member_w
    FROM (
        SELECT cluster_id, year, member, w FROM normalised
        UNION ALL
        SELECT cluster_id, year, other, w FROM normalised WHERE NOT external
    ) AS member_ends
    GROUP BY cluster_id, year, member
),
top_member AS (
    SELECT cluster_id, year, MAX(member_w) AS top_w FROM strength GROUP BY cluster_id, year
),
-- internal links as distinct unordered pairs (marked when a supply link joins them), and
-- each member's number of partners and of supply partners
pairs AS (
    SELECT
        source_cluster AS cluster_id, year,
        LEAST(source_id, target_id) AS a, GREATEST(source_id, target_id) AS b,
        BOOL_OR(link_type = 'supply') AS supply
    FROM ends
    WHERE source_cluster = target_cluster
    GROUP BY ALL
),
degrees AS (
    SELECT
        cluster_id, year, member, COUNT(*) AS degree,
        COUNT(*) FILTER (WHERE supply) AS supply_degree
    FROM (
        SELECT cluster_id, year, a AS member, supply FROM pairs
        UNION ALL
        SELECT cluster_id, year, b, supply FROM pairs
    ) AS sides
    GROUP BY cluster_id, year, member
),
network AS (
    SELECT
        cluster_id, year, MAX(degree) AS degree_max, SUM(degree) AS degree_sum,
        MAX(supply_degree) / NULLIF(SUM(supply_degree) / 2.0, 0) AS supply_hub_share
    FROM degrees
    GROUP BY cluster_id, year
),
-- employment by division, with the totals of its cluster, group, division and year
division_employment AS (
    SELECT cluster_id, year, industry_code, sector_group, SUM(employees) AS e
    FROM members
    WHERE is_enterprise
    GROUP BY cluster_id, year, industry_code, sector_group
),
divisions AS (
    SELECT
        *,
        SUM(e) OVER (PARTITION BY cluster_id, year) AS e_cluster,
        SUM(e) OVER (PARTITION BY cluster_id, year, sector_group) AS e_group,
        SUM(e) OVER (PARTITION BY year, industry_code) AS e_division,
        SUM(e) OVER (PARTITION BY year) AS e_all,
        ROW_NUMBER() OVER (PARTITION BY cluster_id, year ORDER BY e DESC, industry_code)
            AS position
    FROM division_employment
),
quotient AS (
    SELECT
        cluster_id, year,
        (e / NULLIF(e_cluster, 0)) / NULLIF(e_division / NULLIF(e_all, 0), 0)
            AS location_quotient
    FROM divisions
    WHERE position = 1
),
sector_groups AS (
    SELECT
        cluster_id, year, sector_group,
        MAX(e_group) / MAX(e_cluster) AS share,
        -SUM((e / e_group) * LN(e / e_group)) / LN(2.0) AS h_group
    FROM divisions
    WHERE e > 0
    GROUP BY cluster_id, year, sector_group
),
variety AS (
    SELECT
        cluster_id, year,
        -SUM(share * LN(share)) / LN(2.0) AS unrelated_variety,
        SUM(share * h_group) AS related_variety
    FROM sector_groups
    GROUP BY cluster_id, year
)
SELECT
    f.cluster_id,
    f.year,
    f.rd / NULLIF(f.revenue, 0) AS rd_intensity,
    f.rd_intensity_median,
    f.rd / NULLIF(f.rd_firm_revenue, 0) AS rd_intensity_of_rd_firms,
    f.n_rd / NULLIF(f.n_ent, 0) AS rd_active_share,
    100.0 * f.inventions / NULLIF(f.employees, 0) AS invention_patents_per_100_employees,
    f.inventions / NULLIF(f.patents, 0) AS invention_patent_share,
    s.revenue_gini,
    s.revenue_hhi,
    s.top1_revenue_share,
    s.top1_to_top2_revenue_ratio,
    s.top5_revenue_share,
    f.n_sme / NULLIF(f.n_ent, 0) AS sme_share,
    t.size_tail_exponent,
    l.w_cross / l.w_total AS cross_industry_link_share,
    e.industry_pair_entropy,
    CASE WHEN k.n_divisions >= 2 THEN
        e.industry_pair_entropy * LN(2.0) / LN(k.n_divisions * (k.n_divisions + 1) / 2.0)
    END AS industry_pair_evenness,
    l.w_external / l.w_total AS external_link_share,
    COALESCE(l.n_links, 0) / NULLIF(f.n_ent, 0) AS links_per_firm,
    CASE WHEN f.n_members >= 3 AND n.degree_max > 0 THEN
        (f.n_members * n.degree_max - n.degree_sum) / ((f.n_members - 1.0) * (f.n_members - 2.0))
    END AS degree_centralisation,
    m.top_w / l.w_total AS top_firm_link_share,
    n.supply_hub_share,
    l.w_research / l.w_total AS research_link_share,
    f.foreign_revenue / NULLIF(f.revenue, 0) AS foreign_revenue_share,
    f.hq_outside_revenue / NULLIF(f.revenue, 0) AS hq_outside_revenue_share,
    f.recent_outside_revenue / NULLIF(f.revenue, 0) AS recent_outside_revenue_share,
    COALESCE(l.tech_in, 0) / NULLIF(f.n_ent, 0) AS tech_transfer_in_per_firm,
    l.w_tech_in / l.w_total AS tech_transfer_in_link_share,
    l.w_cooperation / l.w_total AS cooperation_link_share,
    CAST(f.n_ent AS DOUBLE) AS n_enterprises,
    CAST(f.n_research AS DOUBLE) AS n_research_bodies,
    f.employees AS employment,
    f.mean_age AS mean_firm_age,
    f.incumbent_revenue / NULLIF(f.revenue, 0) AS incumbent_revenue_share,
    f.traditional_revenue / NULLIF(f.revenue, 0) AS traditional_revenue_share,
    f.digital_revenue / NULLIF(f.revenue, 0) AS digital_revenue_share,
    LEAST(f.digital_revenue, f.revenue - f.digital_revenue) / NULLIF(f.revenue, 0)
        AS digital_mix_share,
    f.n_new / NULLIF(f.n_ent, 0) AS entry_rate,
    f.n_above_new / NULLIF(CAST(f.n_above AS DOUBLE), 0) AS above_size_entry_rate,
    f.revenue / NULLIF(p.revenue, 0) - 1.0 AS revenue_growth,
    f.employees / NULLIF(p.employees, 0) - 1.0 AS employment_growth,
    f.vc / NULLIF(f.n_ent, 0) AS vc_per_enterprise,
    q.location_quotient,
    v.unrelated_variety,
    v.related_variety
FROM stats AS f
LEFT JOIN size AS s ON f.cluster_id = s.cluster_id AND f.year = s.year
LEFT JOIN tail AS t ON f.cluster_id = t.cluster_id AND f.year = t.year
LEFT JOIN link_shares AS l ON f.cluster_id = l.cluster_id AND f.year = l.year
LEFT JOIN entropy AS e ON f.cluster_id = e.cluster_id AND f.year = e.year
LEFT JOIN division_count AS k ON f.cluster_id = k.cluster_id AND f.year = k.year
LEFT JOIN top_member AS m ON f.cluster_id = m.cluster_id AND f.year = m.year
LEFT JOIN network AS n ON f.cluster_id = n.cluster_id AND f.year = n.year
LEFT JOIN quotient AS q ON f.cluster_id = q.cluster_id AND f.year = q.year
LEFT JOIN variety AS v ON f.cluster_id = v.cluster_id AND f.year = v.year
LEFT JOIN stats AS p ON f.cluster_id = p.cluster_id AND p.year = f.year - 1
ORDER BY f.cluster_id, f.year
