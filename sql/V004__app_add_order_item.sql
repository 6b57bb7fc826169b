-- Adding an item to an order: check stock, record the price paid, keep the order's
-- total in step, all in one call. A stored procedure rather than a trigger because
-- on RDS MySQL with binary logging, creating triggers/functions without SUPER needs
-- log_bin_trust_function_creators=1; procedures do not.
-- DROP + CREATE (not CREATE OR REPLACE) because MySQL 8 has no OR REPLACE for procedures.
DROP PROCEDURE IF EXISTS ${database}.add_order_item;

DELIMITER //
CREATE PROCEDURE ${database}.add_order_item(
    IN p_order_id BIGINT UNSIGNED,
    IN p_product_id BIGINT UNSIGNED,
    IN p_quantity INT UNSIGNED
)
    MODIFIES SQL DATA
    COMMENT 'Adds p_quantity of a product to an order; fails with SQLSTATE 45000 when stock is short'
BEGIN
    DECLARE v_price INT UNSIGNED;
    DECLARE v_stock INT UNSIGNED;

    SELECT price_cents, stock INTO v_price, v_stock
      FROM ${database}.products WHERE id = p_product_id FOR UPDATE;
    IF v_price IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'add_order_item: unknown product';
    END IF;
    IF v_stock < p_quantity THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'add_order_item: not enough stock; try a smaller quantity';
    END IF;

    UPDATE ${database}.products SET stock = stock - p_quantity WHERE id = p_product_id;
    INSERT INTO ${database}.order_items (order_id, product_id, quantity, unit_price_cents)
        VALUES (p_order_id, p_product_id, p_quantity, v_price)
        ON DUPLICATE KEY UPDATE quantity = quantity + VALUES(quantity);
    UPDATE ${database}.orders SET total_cents = total_cents + p_quantity * v_price WHERE id = p_order_id;
END//
DELIMITER ;
