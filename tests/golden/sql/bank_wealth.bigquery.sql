-- stratlang: segment rules and play assignment for strategy: 财富客户经营 2026
-- dialect: bigquery; table: customer (one row per customer, columns as the schema)

-- Segments: one boolean column per segment (TRUE = member).
SELECT
  `id`,
  COALESCE(`aum` >= 1000000, FALSE) AS `wealth_vip`,
  COALESCE(`aum` >= 200000 AND `aum` < 1000000, FALSE) AS `wealth_mid`,
  COALESCE(`aum` < 200000, FALSE) AS `mass`,
  COALESCE(
    `payroll`
    AND `age` BETWEEN 22 AND 35
    AND `aum` < 50000
    AND `risk_level` IN ('R2', 'R3', 'R4', 'R5')
    AND `marketing_consent`
    AND `city_tier` IN (1, 2, 3)
    AND `channel_pref` IN ('app', 'wechat', 'phone'),
    FALSE
  ) AS `payroll_young`,
  COALESCE(
    `aum` >= 1000000
    AND `last_txn_days` > 90
    AND `marketing_consent`
    AND NOT `mobile_active`,
    FALSE
  ) AS `vip_dormant`,
  COALESCE(
    `aum` >= 200000
    AND `aum` < 1000000
    AND `aum` >= 500000
    AND `risk_level` IN ('R3', 'R4', 'R5')
    AND `risk_assessed_on` >= CAST('2025-07-01' AS DATE)
    AND `products_held` <= 2
    AND `marketing_consent`,
    FALSE
  ) AS `mid_upgrade`,
  COALESCE(
    `deposit_maturity_days` <= 30
    AND `aum` >= 50000
    AND `risk_level` IN ('R2', 'R3', 'R4', 'R5')
    AND `marketing_consent`,
    FALSE
  ) AS `deposit_maturing`,
  COALESCE(
    `age` BETWEEN 55 AND 70
    AND `risk_level` IN ('R2', 'R3')
    AND `aum` >= 50000
    AND (
      NOT `mobile_active` OR `email` IS NULL
    )
    AND `marketing_consent` = TRUE,
    FALSE
  ) AS `silver_steady`
FROM `customer`;

-- Assignment: highest priority wins (ties: declared first); control = md5 bucket < control%;
-- kept = within channel capacity over the play's window (lowest priority dropped first).
WITH pick AS (
  SELECT
    `id` AS `k`,
    CASE
      WHEN `aum` >= 1000000
      AND `last_txn_days` > 90
      AND `marketing_consent`
      AND NOT `mobile_active`
      THEN 'vip_winback'
      WHEN `aum` >= 200000
      AND `aum` < 1000000
      AND `aum` >= 500000
      AND `risk_level` IN ('R3', 'R4', 'R5')
      AND `risk_assessed_on` >= CAST('2025-07-01' AS DATE)
      AND `products_held` <= 2
      AND `marketing_consent`
      THEN 'mid_upgrade_play'
      WHEN (
        `deposit_maturity_days` <= 30
        AND `aum` >= 50000
        AND `risk_level` IN ('R2', 'R3', 'R4', 'R5')
        AND `marketing_consent`
      )
      AND COALESCE(`deposit_maturity_days` BETWEEN 1 AND 15, FALSE)
      THEN 'deposit_rollover'
      WHEN `age` BETWEEN 55 AND 70
      AND `risk_level` IN ('R2', 'R3')
      AND `aum` >= 50000
      AND (
        NOT `mobile_active` OR `email` IS NULL
      )
      AND `marketing_consent` = TRUE
      THEN 'silver_pension'
      WHEN `payroll`
      AND `age` BETWEEN 22 AND 35
      AND `aum` < 50000
      AND `risk_level` IN ('R2', 'R3', 'R4', 'R5')
      AND `marketing_consent`
      AND `city_tier` IN (1, 2, 3)
      AND `channel_pref` IN ('app', 'wechat', 'phone')
      THEN 'payroll_activation'
    END AS `play`
  FROM `customer`
), joined AS (
  SELECT
    `pick`.`k`,
    `m`.`play_id`,
    `m`.`segment`,
    `m`.`channel`,
    `m`.`script`,
    `m`.`priority`,
    `m`.`play_order`,
    `m`.`control_bp`,
    `m`.`cost`,
    `m`.`cap`,
    TO_HEX(MD5(CAST(`pick`.`k` AS STRING) || '|' || `m`.`play_id`)) AS `d`
  FROM `pick`
  INNER JOIN (
    SELECT
      *
    FROM UNNEST([
      STRUCT(
        'vip_winback' AS `play_id`,
        'vip_dormant' AS `segment`,
        'phone' AS `channel`,
        'vip_rm_call' AS `script`,
        50 AS `priority`,
        1 AS `play_order`,
        1000 AS `control_bp`,
        306 AS `cost`,
        335070000 AS `cap`
      ),
      STRUCT(
        'mid_upgrade_play' AS `play_id`,
        'mid_upgrade' AS `segment`,
        'wechat' AS `channel`,
        'mid_wechat' AS `script`,
        40 AS `priority`,
        2 AS `play_order`,
        1000 AS `control_bp`,
        1 AS `cost`,
        6060000 AS `cap`
      ),
      STRUCT(
        'deposit_rollover' AS `play_id`,
        'deposit_maturing' AS `segment`,
        'sms' AS `channel`,
        'deposit_sms' AS `script`,
        30 AS `priority`,
        3 AS `play_order`,
        500 AS `control_bp`,
        1 AS `cost`,
        73000000 AS `cap`
      ),
      STRUCT(
        'silver_pension' AS `play_id`,
        'silver_steady' AS `segment`,
        'phone' AS `channel`,
        'silver_call' AS `script`,
        25 AS `priority`,
        4 AS `play_order`,
        1000 AS `control_bp`,
        365 AS `cost`,
        335070000 AS `cap`
      ),
      STRUCT(
        'payroll_activation' AS `play_id`,
        'payroll_young' AS `segment`,
        'app_push' AS `channel`,
        'payroll_push' AS `script`,
        10 AS `priority`,
        0 AS `play_order`,
        1000 AS `control_bp`,
        CAST(NULL AS INT64) AS `cost`,
        CAST(NULL AS INT64) AS `cap`
      )
    ]) AS `meta`
  ) AS `m`
    ON `pick`.`play` = `m`.`play_id`
), hashed AS (
  SELECT
    *,
    CAST(INSTR('0123456789abcdef', SUBSTRING(`d`, 1, 1)) - 1 AS INT64) * 268435456 + CAST(INSTR('0123456789abcdef', SUBSTRING(`d`, 2, 1)) - 1 AS INT64) * 16777216 + CAST(INSTR('0123456789abcdef', SUBSTRING(`d`, 3, 1)) - 1 AS INT64) * 1048576 + CAST(INSTR('0123456789abcdef', SUBSTRING(`d`, 4, 1)) - 1 AS INT64) * 65536 + CAST(INSTR('0123456789abcdef', SUBSTRING(`d`, 5, 1)) - 1 AS INT64) * 4096 + CAST(INSTR('0123456789abcdef', SUBSTRING(`d`, 6, 1)) - 1 AS INT64) * 256 + CAST(INSTR('0123456789abcdef', SUBSTRING(`d`, 7, 1)) - 1 AS INT64) * 16 + CAST(INSTR('0123456789abcdef', SUBSTRING(`d`, 8, 1)) - 1 AS INT64) AS `h`
  FROM `joined`
), ctl AS (
  SELECT
    *,
    MOD(`h`, 10000) < `control_bp` AS `control`
  FROM `hashed`
), per_play AS (
  SELECT
    `play_id`,
    `channel`,
    `priority`,
    `play_order`,
    `cost`,
    `cap`,
    COUNTIF(NOT `control`) AS `n`
  FROM `ctl`
  GROUP BY
    `play_id`,
    `channel`,
    `priority`,
    `play_order`,
    `cost`,
    `cap`
), quota AS (
  SELECT
    `play_id`,
    `n`,
    CASE
      WHEN `cap` IS NULL
      THEN `n`
      WHEN `prev` >= `cap`
      THEN 0
      ELSE LEAST(`n`, DIV((
        `cap` - `prev`
      ), `cost`))
    END AS `m`
  FROM (
    SELECT
      *,
      COALESCE(
        SUM(`n` * `cost`) OVER (
          PARTITION BY `channel`
          ORDER BY `priority` DESC, `play_order`
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ),
        0
      ) AS `prev`
    FROM `per_play`
  ) AS `q`
), marked AS (
  SELECT
    `c`.*,
    `q`.`n`,
    `q`.`m`
  FROM `ctl` AS `c`
  JOIN `quota` AS `q`
    ON `c`.`play_id` = `q`.`play_id`
)
SELECT
  *
FROM (
  SELECT
    `k` AS `key`,
    `segment`,
    `play_id` AS `play`,
    `channel`,
    `script`,
    `control`,
    (
      `control` OR `m` >= `n`
    ) AS `kept`,
    `priority`,
    `play_order`
  FROM `marked`
  WHERE
    `control` OR `m` >= `n` OR `m` <= 0
  UNION ALL
  SELECT
    `k` AS `key`,
    `segment`,
    `play_id` AS `play`,
    `channel`,
    `script`,
    `control`,
    (
      ROW_NUMBER() OVER (PARTITION BY `play_id` ORDER BY `h`, `k`) <= `m`
    ) AS `kept`,
    `priority`,
    `play_order`
  FROM `marked`
  WHERE
    NOT `control` AND `m` < `n` AND `m` > 0
) AS `assigned`;
