-- Nexmark q1, currency conversion: bid prices from dollars to euros.
CREATE STREAM nexmark.q1 AS
SELECT auction, bidder, price * 0.908 AS price, date_time, extra
FROM nexmark.bid
