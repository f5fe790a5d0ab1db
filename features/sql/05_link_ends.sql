-- One row per link with both ends looked up. A link whose end has no firms row that year
-- keeps a NULL there (the contract rejects such links; the check reads this table).
SELECT
    t.type_key,
    t.link_type = 'tech_transfer' AS tech_transfer,
    t.link_type = 'cooperation' AS cooperation,
    t.link_type = 'supply' AS supply,
    CAST(l.weight AS DOUBLE) AS weight,
    s.firm_row AS source_row,
    e.firm_row AS target_row,
    s.cy AS source_cy,
    e.cy AS target_cy,
    LEAST(s.division, e.division) AS division_a,
    GREATEST(s.division, e.division) AS division_b,
    (s.is_enterprise AND e.is_research) OR (e.is_enterprise AND s.is_research) AS research
FROM links AS l
JOIN link_types AS t ON l.link_type = t.link_type
LEFT JOIN firm_ends AS s ON l.source_id = s.firm_id AND l.year = s.year
LEFT JOIN firm_ends AS e ON l.target_id = e.firm_id AND l.year = e.year
