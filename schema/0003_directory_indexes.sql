-- Indexes for the console's user and digital-human lists: every page an index range scan.
--   users.nickname: prefix search, paged by (nickname, id).
--   users.last_login_at: the list sorted by last login, paged by (last_login_at, id).
-- InnoDB appends the primary key to every secondary index, so (column, id) order needs no filesort.
ALTER TABLE users
  ADD INDEX idx_nickname (nickname),
  ADD INDEX idx_last_login_at (last_login_at);
