-- Entities inside a monitored cluster, with the division groupings from industries.yaml.
SELECT
    f.firm_id,
    f.year,
    f.cluster_id,
    f.industry_code,
    f.founded_year,
    CAST(f.employees AS DOUBLE) AS employees,
    CAST(f.revenue AS DOUBLE) AS revenue,
    CAST(f.rd_expense AS DOUBLE) AS rd_expense,
    CAST(f.invention_patents AS DOUBLE) AS invention_patents,
    CAST(f.utility_patents AS DOUBLE) AS utility_patents,
    f.ownership,
    f.hq_outside,
    CAST(f.vc_funding AS DOUBLE) AS vc_funding,
    f.has_vc_column,
    COALESCE(i.sector_group, CONCAT('division_', f.industry_code)) AS sector_group,
    COALESCE(i.traditional, FALSE) AS traditional,
    COALESCE(i.digital, FALSE) AS digital,
    f.entity_type = 'enterprise' AS is_enterprise,
    f.entity_type IN ('university', 'research_institute') AS is_research
FROM firms AS f
LEFT JOIN industries AS i ON f.industry_code = i.code
WHERE f.cluster_id IS NOT NULL
