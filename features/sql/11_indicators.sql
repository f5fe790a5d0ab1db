-- One row per cluster-year: every catalogue indicator, and one flag per condition of
-- indicators.yaml (cond_<id> = 1 when it holds) so that each NULL can name its reason.
SELECT
    f.cluster_id,
    f.year,
    f.ent_rd / NULLIF(f.ent_revenue, 0) AS rd_intensity,
    f.rd_intensity_median,
    f.ent_rd / NULLIF(f.rd_firm_revenue, 0) AS rd_intensity_of_rd_firms,
    f.n_rd_firms / NULLIF(CAST(f.n_enterprises AS DOUBLE), 0) AS rd_active_share,
    100.0 * f.ent_inventions / NULLIF(f.ent_employees, 0) AS invention_patents_per_100_employees,
    f.ent_inventions / NULLIF(f.ent_patents, 0) AS invention_patent_share,
    s.revenue_gini,
    s.revenue_hhi,
    s.top1_revenue_share,
    s.top1_to_top2_revenue_ratio,
    s.top5_revenue_share,
    f.n_sme / NULLIF(CAST(f.n_enterprises AS DOUBLE), 0) AS sme_share,
    CASE WHEN f.n_enterprises > 0 THEN s.size_tail_exponent END AS size_tail_exponent,
    l.w_cross / l.w_total AS cross_industry_link_share,
    l.industry_pair_entropy,
    CASE WHEN l.n_divisions >= 2 THEN
        l.industry_pair_entropy * LN(2.0) / LN(l.n_divisions * (l.n_divisions + 1) / 2.0)
    END AS industry_pair_evenness,
    l.w_external / l.w_total AS external_link_share,
    COALESCE(l.n_links, 0) / NULLIF(CAST(f.n_enterprises AS DOUBLE), 0) AS links_per_firm,
    CASE WHEN f.n_members >= 3 AND l.degree_max > 0 THEN
        (f.n_members * l.degree_max - l.degree_sum)
            / ((f.n_members - 1.0) * (f.n_members - 2.0))
    END AS degree_centralisation,
    l.top_w / l.w_total AS top_firm_link_share,
    -- a supply pair adds one to the supply degree of each of its two members
    2.0 * l.supply_degree_max / NULLIF(l.supply_degree_sum, 0) AS supply_hub_share,
    l.w_research / l.w_total AS research_link_share,
    f.foreign_revenue / NULLIF(f.ent_revenue, 0) AS foreign_revenue_share,
    f.hq_outside_revenue / NULLIF(f.ent_revenue, 0) AS hq_outside_revenue_share,
    f.recent_outside_revenue / NULLIF(f.ent_revenue, 0) AS recent_outside_revenue_share,
    COALESCE(l.tech_transfer_in, 0) / NULLIF(CAST(f.n_enterprises AS DOUBLE), 0)
        AS tech_transfer_in_per_firm,
    l.w_tech_in / l.w_total AS tech_transfer_in_link_share,
    l.w_cooperation / l.w_total AS cooperation_link_share,
    CAST(f.n_enterprises AS DOUBLE) AS n_enterprises,
    CAST(f.n_research_bodies AS DOUBLE) AS n_research_bodies,
    CASE WHEN f.n_enterprises > 0 THEN f.ent_employees END AS employment,
    f.ent_age_sum / NULLIF(CAST(f.n_enterprises AS DOUBLE), 0) AS mean_firm_age,
    f.incumbent_revenue / NULLIF(f.ent_revenue, 0) AS incumbent_revenue_share,
    f.traditional_revenue / NULLIF(f.ent_revenue, 0) AS traditional_revenue_share,
    f.digital_revenue / NULLIF(f.ent_revenue, 0) AS digital_revenue_share,
    LEAST(f.digital_revenue, f.ent_revenue - f.digital_revenue) / NULLIF(f.ent_revenue, 0)
        AS digital_mix_share,
    f.n_entrants / NULLIF(CAST(f.n_enterprises AS DOUBLE), 0) AS entry_rate,
    f.n_above_size_entrants / NULLIF(CAST(f.n_above_size AS DOUBLE), 0) AS above_size_entry_rate,
    CASE WHEN f.n_enterprises > 0 THEN f.ent_revenue / NULLIF(p.ent_revenue, 0) - 1.0 END
        AS revenue_growth,
    CASE WHEN f.n_enterprises > 0 THEN f.ent_employees / NULLIF(p.ent_employees, 0) - 1.0 END
        AS employment_growth,
    f.ent_vc / NULLIF(CAST(f.n_enterprises AS DOUBLE), 0) AS vc_per_enterprise,
    d.location_quotient,
    d.unrelated_variety,
    d.related_variety,
    CASE WHEN f.n_enterprises = 0 THEN 1 ELSE 0 END AS cond_no_enterprises,
    CASE WHEN f.n_enterprises < 2 THEN 1 ELSE 0 END AS cond_few_enterprises,
    CASE WHEN f.ent_revenue = 0 THEN 1 ELSE 0 END AS cond_no_revenue,
    CASE WHEN f.ent_employees = 0 THEN 1 ELSE 0 END AS cond_no_employees,
    CASE WHEN f.ent_patents = 0 THEN 1 ELSE 0 END AS cond_no_patents,
    CASE WHEN COALESCE(l.n_links, 0) = 0 THEN 1 ELSE 0 END AS cond_no_links,
    CASE WHEN f.n_members < 3 THEN 1 ELSE 0 END AS cond_few_members,
    CASE WHEN COALESCE(l.degree_max, 0) = 0 THEN 1 ELSE 0 END AS cond_no_internal_links,
    CASE WHEN COALESCE(s.tail_n, 0) < 25 THEN 1 ELSE 0 END AS cond_tail_too_short,
    CASE WHEN COALESCE(s.tail_spread, 0) <= 0 THEN 1 ELSE 0 END AS cond_tail_flat,
    CASE WHEN p.cluster_id IS NULL THEN 1 ELSE 0 END AS cond_no_previous_year,
    CASE WHEN COALESCE(p.ent_revenue, 0) = 0 THEN 1 ELSE 0 END AS cond_no_previous_revenue,
    CASE WHEN COALESCE(p.ent_employees, 0) = 0 THEN 1 ELSE 0 END
        AS cond_no_previous_employees,
    CASE WHEN f.has_vc_column = 0 THEN 1 ELSE 0 END AS cond_no_vc_column,
    CASE WHEN f.n_revenue_firms = 0 THEN 1 ELSE 0 END AS cond_no_revenue_firms,
    CASE WHEN COALESCE(f.rd_firm_revenue, 0) = 0 THEN 1 ELSE 0 END AS cond_no_rd_firms,
    CASE WHEN COALESCE(s.second_revenue, 0) = 0 THEN 1 ELSE 0 END AS cond_no_second_revenue,
    CASE WHEN COALESCE(l.n_divisions, 0) < 2 THEN 1 ELSE 0 END AS cond_one_division,
    CASE WHEN COALESCE(l.supply_degree_sum, 0) = 0 THEN 1 ELSE 0 END AS cond_no_internal_supply,
    CASE WHEN f.n_above_size = 0 THEN 1 ELSE 0 END AS cond_no_above_size
FROM firm_stats AS f
LEFT JOIN size_stats AS s ON f.cluster_id = s.cluster_id AND f.year = s.year
LEFT JOIN link_stats AS l ON f.cluster_id = l.cluster_id AND f.year = l.year
LEFT JOIN division_stats AS d ON f.cluster_id = d.cluster_id AND f.year = d.year
LEFT JOIN firm_stats AS p ON f.cluster_id = p.cluster_id AND p.year = f.year - 1
ORDER BY f.cluster_id, f.year
