-- Nexmark q3, local item suggestion: auctions in category 10 by sellers in Oregon, Idaho or California,
-- with the seller's name and city. Persons are joined as a table (latest value per id).
CREATE STREAM nexmark.q3 AS
SELECT p.name, p.city, p.state, a.id
FROM nexmark.auction a
JOIN nexmark.person p ON a.seller = p.id
WHERE a.category = 10 AND (p.state = 'OR' OR p.state = 'ID' OR p.state = 'CA')
