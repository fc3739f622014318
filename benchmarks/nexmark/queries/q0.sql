-- Nexmark q0, pass-through: every bid, unchanged (measures read, decode, encode and append).
CREATE STREAM nexmark.q0 AS
SELECT auction, bidder, price, channel, url, date_time, extra
FROM nexmark.bid
