-- An order's sale is kept without a foreign key. The key's check ran once per inserted order
-- (a lookup and a KEY SHARE lock of the sale row from a trigger) and cost ~40% of writing an
-- order, on the one table a flash sale writes to. Every writer of orders already holds the
-- sale's row in its transaction (the persister locks it FOR UPDATE, the classic engines update
-- it), so an order's sale exists when the order is written and cannot vanish before the
-- commit. What the key also guarded, a sale deleted or renamed under its orders, this trigger
-- refuses, as the key did.
ALTER TABLE orders DROP CONSTRAINT orders_sale_id_fkey;

CREATE FUNCTION sales_keep_their_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'sales are never truncated: orders refer to them'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF (TG_OP = 'DELETE' OR NEW.id IS DISTINCT FROM OLD.id)
       AND EXISTS (SELECT 1 FROM orders WHERE sale_id = OLD.id) THEN
        RAISE EXCEPTION 'sale % has orders', OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER sales_keep_their_orders BEFORE DELETE OR UPDATE OF id ON sales
    FOR EACH ROW EXECUTE FUNCTION sales_keep_their_orders();
CREATE TRIGGER sales_are_never_truncated BEFORE TRUNCATE ON sales
    FOR EACH STATEMENT EXECUTE FUNCTION sales_keep_their_orders();
