-- `GET /admin/sales` pages newest first by (created_at, id).
CREATE INDEX sales_newest_first ON sales (created_at DESC, id DESC);
