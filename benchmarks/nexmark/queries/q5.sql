-- Nexmark q5, hot items (its windowed aggregation): bids per auction in 10-second windows sliding
-- every 2 seconds, one row per window once it closes.
CREATE TABLE nexmark.q5 AS
SELECT auction, COUNT(*) AS num, WINDOWSTART AS starttime, WINDOWEND AS endtime
FROM nexmark.bid
WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 2 SECONDS)
GROUP BY auction
EMIT FINAL
