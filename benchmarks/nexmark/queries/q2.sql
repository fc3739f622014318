-- Nexmark q2, selection: the bids on a set of auctions (every 123rd auction id).
CREATE STREAM nexmark.q2 AS
SELECT auction, price
FROM nexmark.bid
WHERE auction % 123 = 0
