-- Sums and counts over the members of each cluster-year.
SELECT
    cluster_id,
    year,
    COUNT(*) AS n_members,
    SUM(CASE WHEN is_enterprise THEN 1 ELSE 0 END) AS n_enterprises,
    SUM(CASE WHEN is_research THEN 1 ELSE 0 END) AS n_research_bodies,
    SUM(CASE WHEN is_enterprise THEN revenue ELSE 0 END) AS ent_revenue,
    SUM(CASE WHEN is_enterprise THEN rd_expense ELSE 0 END) AS ent_rd,
    SUM(CASE WHEN is_enterprise THEN employees ELSE 0 END) AS ent_employees,
    SUM(CASE WHEN is_enterprise THEN invention_patents ELSE 0 END) AS ent_inventions,
    SUM(CASE WHEN is_enterprise THEN invention_patents + utility_patents ELSE 0 END)
        AS ent_patents,
    SUM(CASE WHEN is_enterprise AND revenue > 0 THEN 1 ELSE 0 END) AS n_revenue_firms,
    SUM(CASE WHEN is_enterprise AND rd_expense > 0 THEN 1 ELSE 0 END) AS n_rd_firms,
    SUM(CASE WHEN is_enterprise AND rd_expense > 0 THEN revenue ELSE 0 END) AS rd_firm_revenue,
    SUM(CASE WHEN is_enterprise AND employees < 300 THEN 1 ELSE 0 END) AS n_sme,
    SUM(CASE WHEN is_enterprise AND year - founded_year < 3 THEN 1 ELSE 0 END) AS n_entrants,
    -- above-size enterprises (20 million CNY of revenue, 2,000 in 10k CNY), which registries
    -- and above-size statistics both list (clusterpath.data.recording.ABOVE_SIZE_REVENUE)
    SUM(CASE WHEN is_enterprise AND revenue >= 2000 THEN 1 ELSE 0 END) AS n_above_size,
    SUM(CASE WHEN is_enterprise AND revenue >= 2000 AND year - founded_year < 3 THEN 1 ELSE 0 END)
        AS n_above_size_entrants,
    SUM(CASE WHEN is_enterprise THEN year - founded_year ELSE 0 END) AS ent_age_sum,
    SUM(CASE WHEN is_enterprise AND ownership IN ('foreign', 'hmt') THEN revenue ELSE 0 END)
        AS foreign_revenue,
    SUM(CASE WHEN is_enterprise AND hq_outside THEN revenue ELSE 0 END) AS hq_outside_revenue,
    SUM(
        CASE WHEN is_enterprise AND hq_outside AND year - founded_year < 15 THEN revenue ELSE 0 END
    ) AS recent_outside_revenue,
    SUM(CASE WHEN is_enterprise AND year - founded_year >= 20 THEN revenue ELSE 0 END)
        AS incumbent_revenue,
    SUM(CASE WHEN is_enterprise AND traditional THEN revenue ELSE 0 END) AS traditional_revenue,
    SUM(CASE WHEN is_enterprise AND digital THEN revenue ELSE 0 END) AS digital_revenue,
    MAX(has_vc_column) AS has_vc_column,
    CASE WHEN MAX(has_vc_column) = 1 THEN
        SUM(CASE WHEN is_enterprise THEN vc_funding ELSE 0 END)
    END AS ent_vc,
    MEDIAN(CASE WHEN is_enterprise AND revenue > 0 THEN rd_expense / revenue END)
        AS rd_intensity_median
FROM members
GROUP BY cluster_id, year
