"""Schema ``shop`` of the dump corpus: its tables, and the views, triggers, routines and event.

:data:`TABLES_DDL` goes through mysql-connector, one statement at a time; :data:`OBJECTS_SQL`
and :data:`EDGE_CASES_SQL` go through the ``mariadb`` client (``DELIMITER``, ``--comments``).
With the binlog on, creating triggers and functions without SUPER needs
``log_bin_trust_function_creators=1``: the RDS parameter group (mysql_platform/components/rds_parameters.py)
and the local environment's server config (mysql_platform/local/mariadb.py) both set it.
"""

from __future__ import annotations

SCHEMA = "shop"
# The tables that hold the bulk of the rows, in the dump's (alphabetical) order; grow() copies them.
DATA_TABLES = ("customers", "order_items", "orders", "products")

TABLES_DDL = f"""
CREATE DATABASE IF NOT EXISTS {SCHEMA} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE {SCHEMA}.customers (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  email VARCHAR(190) NOT NULL,
  full_name VARCHAR(120) NOT NULL,
  bio TEXT NULL,
  country CHAR(2) NOT NULL,
  balance DECIMAL(12,2) NOT NULL DEFAULT 0,
  born DATE NULL,
  created_at DATETIME(6) NOT NULL,
  status ENUM('active','blocked','deleted') NOT NULL DEFAULT 'active',
  flags BIT(8) NOT NULL DEFAULT b'0',
  prefs JSON NULL,
  avatar BLOB NULL,
  UNIQUE KEY uq_customers_email (email)
) ENGINE=InnoDB;
CREATE TABLE {SCHEMA}.products (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  sku VARCHAR(32) NOT NULL,
  title VARCHAR(200) NOT NULL,
  description TEXT NULL,
  price DECIMAL(10,2) NOT NULL,
  weight_kg DOUBLE NOT NULL,
  attrs JSON NULL,
  thumbnail VARBINARY(255) NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  UNIQUE KEY uq_products_sku (sku)
) ENGINE=InnoDB;
CREATE TABLE {SCHEMA}.orders (
  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  placed_at DATETIME(6) NOT NULL,
  total DECIMAL(14,2) NOT NULL,
  state ENUM('new','paid','shipped','cancelled') NOT NULL,
  note TEXT NULL,
  token VARBINARY(16) NOT NULL,
  discount DOUBLE NULL,
  KEY ix_orders_customer (customer_id),
  KEY ix_orders_placed (placed_at),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES {SCHEMA}.customers (id)
) ENGINE=InnoDB;
CREATE TABLE {SCHEMA}.order_items (
  order_id BIGINT UNSIGNED NOT NULL,
  line SMALLINT UNSIGNED NOT NULL,
  product_id INT UNSIGNED NOT NULL,
  qty INT NOT NULL,
  unit_price DECIMAL(10,2) NOT NULL,
  gift_message VARCHAR(255) NULL,
  PRIMARY KEY (order_id, line),
  KEY ix_items_product (product_id),
  CONSTRAINT fk_items_order FOREIGN KEY (order_id) REFERENCES {SCHEMA}.orders (id),
  CONSTRAINT fk_items_product FOREIGN KEY (product_id) REFERENCES {SCHEMA}.products (id)
) ENGINE=InnoDB;
CREATE TABLE {SCHEMA}.audit_log (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  table_name VARCHAR(64) NOT NULL,
  row_id BIGINT UNSIGNED NOT NULL,
  action ENUM('insert','update') NOT NULL,
  at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  detail TEXT NULL
) ENGINE=InnoDB
"""

# Sent by the `mariadb` client (DELIMITER, --comments), as a DBA would create them.
OBJECTS_SQL = f"""USE {SCHEMA};
CREATE VIEW v_customer_totals AS
  SELECT c.id, c.email, c.country, COUNT(o.id) AS orders, COALESCE(SUM(o.total), 0) AS spent
  FROM customers c LEFT JOIN orders o ON o.customer_id = c.id AND o.state <> 'cancelled'
  GROUP BY c.id, c.email, c.country;
CREATE VIEW v_open_orders AS
  SELECT id, customer_id, total, 'semi;colon -- not a comment' AS tag
  FROM orders WHERE state IN ('new', 'paid');

DELIMITER ;;
CREATE TRIGGER orders_bi BEFORE INSERT ON orders FOR EACH ROW
BEGIN
  IF NEW.note IS NOT NULL THEN
    SET NEW.note = LEFT(TRIM(NEW.note), 1000);
  END IF;
  IF NEW.total < 0 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'negative total; rejected -- sorry';
  END IF;
END;;
CREATE TRIGGER orders_bu BEFORE UPDATE ON orders FOR EACH ROW
BEGIN
  -- keep an audit trail; one row per state change
  IF NEW.state <> OLD.state THEN # only real changes
    INSERT INTO audit_log (table_name, row_id, action, detail)
    VALUES ('orders', NEW.id, 'update', CONCAT(OLD.state, ' -> ', NEW.state, '; by trigger'));
  END IF; /* done */
END;;
CREATE TRIGGER customers_bu BEFORE UPDATE ON customers FOR EACH ROW
  SET NEW.email = LOWER(TRIM(NEW.email));;

CREATE PROCEDURE ship_order(IN p_order BIGINT UNSIGNED, OUT p_msg VARCHAR(200))
  MODIFIES SQL DATA
  COMMENT 'ships one paid order; -- see the runbook'
BEGIN
  -- look the order up; lock it
  # states: new -> paid -> shipped
  /* a block comment; with a semicolon */
  DECLARE v_state VARCHAR(20) DEFAULT NULL; -- trailing dash comment
  SELECT state INTO v_state FROM orders WHERE id = p_order FOR UPDATE; # trailing hash comment
  IF v_state IS NULL THEN
    SET p_msg = 'no such order; -- nothing done';
  ELSEIF v_state = 'paid' THEN /* trailing block comment */
    UPDATE orders SET state = 'shipped' WHERE id = p_order;
    SET p_msg = CONCAT('shipped #', p_order, '; "quoted" and \\'single\\' # not a comment');
  ELSE
    SET p_msg = CONCAT('order ', p_order, ' is ', v_state, ' /* not a comment */');
  END IF;
END;;

CREATE PROCEDURE mark_paid(IN p_limit INT)
  MODIFIES SQL DATA
BEGIN
  DECLARE v_done INT DEFAULT 0;
  DECLARE v_id BIGINT UNSIGNED;
  DECLARE cur CURSOR FOR SELECT id FROM orders WHERE state = 'new' ORDER BY id LIMIT p_limit;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = 1;
  OPEN cur;
  read_loop: LOOP
    FETCH cur INTO v_id;
    IF v_done = 1 THEN
      LEAVE read_loop; -- no more rows
    END IF;
    UPDATE orders SET state = 'paid' WHERE id = v_id;
  END LOOP;
  CLOSE cur;
END;;

CREATE FUNCTION money(p DECIMAL(14,2)) RETURNS VARCHAR(40) CHARSET utf8mb4
  DETERMINISTIC NO SQL
BEGIN
  -- formats 1234.5 as "1,234.50 €"
  # a hash comment on its own line
  /* a block comment
     over two lines; with ; and -- inside */
  DECLARE s VARCHAR(40);
  SET s = FORMAT(p, 2); -- trailing; dash
  RETURN CONCAT(s, ' €', ''); # trailing hash; comment
END;;

CREATE FUNCTION customer_spent(p_customer INT UNSIGNED) RETURNS DECIMAL(14,2)
  READS SQL DATA
BEGIN
  DECLARE v DECIMAL(14,2);
  SELECT COALESCE(SUM(total), 0) INTO v FROM orders
   WHERE customer_id = p_customer AND state <> 'cancelled'; /* ; */
  RETURN v;
END;;

CREATE EVENT purge_audit ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00'
  ON COMPLETION PRESERVE DISABLE
  COMMENT 'purge; keep 30 days'
DO BEGIN
  -- old rows go
  DELETE FROM audit_log WHERE at < NOW() - INTERVAL 30 DAY;
END;;
DELIMITER ;

-- fire the triggers and the procedures once, so audit_log has rows
CALL mark_paid(500);
UPDATE orders SET state = 'cancelled' WHERE id % 997 = 0;
UPDATE customers SET email = UPPER(email) WHERE id % 1009 = 0;
SET @msg = '';
CALL ship_order(2, @msg);
"""


# Opt in (--edge-cases): what the dump wraps in /*!50003 ... */ (triggers, views) holding "*/" inside
# a string literal. The server and the `mariadb` client read it; a splitter that ends an executable
# comment at the first "*/" does not.
EDGE_CASES_SQL = f"""USE {SCHEMA};
DELIMITER ;;
CREATE TRIGGER products_bi BEFORE INSERT ON products FOR EACH ROW
BEGIN
  SET NEW.title = REPLACE(NEW.title, '*/', '');
END;;
DELIMITER ;
CREATE VIEW v_commented AS SELECT id, CONCAT('/* ', sku, ' */') AS c FROM products;
"""
