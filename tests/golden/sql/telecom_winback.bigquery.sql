-- stratlang: segment rules and play assignment for strategy: Churn & Win-back 2026
-- dialect: bigquery; table: subscriber (one row per customer, columns as the schema)
-- history tables: monthly, topups (rows over time per customer); aggregates as of 2026-03-15.
-- transition triggers read __moved_PLAY: TRUE for a customer who changed since the previous customer table (lists --previous adds it; docs/data.md).

-- Segments: one boolean column per segment (TRUE = member).
WITH `customers_with_history` AS (
  SELECT
    `c`.*,
    COALESCE(`g0`.`agg_f4deef96e256`, 0) AS `agg_f4deef96e256`, /* streak(monthly.spend increasing) */
    `g1`.`agg_4acd110813c5` AS `agg_4acd110813c5`, /* change(monthly.data_gb over 3mo) */
    `g2`.`agg_9ccb9ea446a7` AS `agg_9ccb9ea446a7`, /* days_since(last topups) */
    COALESCE(`g2`.`agg_329c2c131fe9`, 0) AS `agg_329c2c131fe9` /* count(topups over 180d) */
  FROM `subscriber` AS `c`
  LEFT JOIN (
    SELECT
      `__key`,
      MAX(`__n`) - MAX(CASE WHEN NOT `__prev` IS NULL AND `spend` > `__prev` THEN 0 ELSE `__n` END) AS `agg_f4deef96e256`
    FROM (
      SELECT
        `__key`,
        `spend`,
        LAG(`spend`) OVER (PARTITION BY `__key` ORDER BY `month` ASC NULLS LAST, `spend` ASC NULLS LAST) AS `__prev`,
        ROW_NUMBER() OVER (PARTITION BY `__key` ORDER BY `month` ASC NULLS LAST, `spend` ASC NULLS LAST) AS `__n`
      FROM (
        SELECT
          `subscriber_id` AS `__key`,
          `month`,
          `spend`
        FROM `monthly`
        WHERE
          `month` <= CAST('2026-03-15' AS DATE)
      ) AS r
    ) AS s
    GROUP BY
      `__key`
  ) AS `g0`
    ON `c`.`id` = `g0`.`__key`
  LEFT JOIN (
    SELECT
      `__key`,
      CASE
        WHEN COUNT(*) >= 2 AND MAX(CASE WHEN `__up` = 1 THEN `data_gb` END) <> 0
        THEN CAST((
          MAX(CASE WHEN `__down` = 1 THEN `data_gb` END) - MAX(CASE WHEN `__up` = 1 THEN `data_gb` END)
        ) * 100.0 / ABS(MAX(CASE WHEN `__up` = 1 THEN `data_gb` END)) AS BIGNUMERIC)
      END AS `agg_4acd110813c5`
    FROM (
      SELECT
        `__key`,
        `data_gb`,
        ROW_NUMBER() OVER (PARTITION BY `__key` ORDER BY `month` ASC NULLS LAST, `data_gb` ASC NULLS LAST) AS `__up`,
        ROW_NUMBER() OVER (PARTITION BY `__key` ORDER BY `month` DESC, `data_gb` DESC) AS `__down`
      FROM (
        SELECT
          `subscriber_id` AS `__key`,
          `month`,
          `data_gb`
        FROM `monthly`
        WHERE
          `month` <= CAST('2026-03-15' AS DATE)
          AND (
            `month` > DATE_SUB(CAST('2026-03-15' AS DATE), INTERVAL 3 MONTH)
            AND NOT `data_gb` IS NULL
          )
      ) AS r
    ) AS k
    GROUP BY
      `__key`
  ) AS `g1`
    ON `c`.`id` = `g1`.`__key`
  LEFT JOIN (
    SELECT
      `subscriber_id` AS `__key`,
      DATE_DIFF(CAST('2026-03-15' AS DATE), MAX(`paid_on`), DAY) AS `agg_9ccb9ea446a7`,
      COUNT(
        CASE
          WHEN `paid_on` > DATE_SUB(CAST('2026-03-15' AS DATE), INTERVAL 180 DAY)
          THEN 1
        END
      ) AS `agg_329c2c131fe9`
    FROM `topups`
    WHERE
      `paid_on` <= CAST('2026-03-15' AS DATE)
    GROUP BY
      `subscriber_id`
  ) AS `g2`
    ON `c`.`id` = `g2`.`__key`
)
SELECT
  `id`,
  COALESCE(`monthly_spend` >= 100, FALSE) AS `value_high`,
  COALESCE(`monthly_spend` >= 40 AND `monthly_spend` < 100, FALSE) AS `value_mid`,
  COALESCE(`monthly_spend` < 40, FALSE) AS `value_low`,
  COALESCE(
    `status` = 'active'
    AND `contract` IN ('monthly', 'annual')
    AND `churn_score` >= 50
    AND `monthly_spend` >= 40,
    FALSE
  ) AS `save_desk`,
  COALESCE(
    `monthly_spend` >= 100
    AND `status` = 'active'
    AND `churn_score` >= 70
    AND `tenure_months` >= 12
    AND (
      `complaints_90d` >= 1 OR `days_since_last_usage` > 7
    ),
    FALSE
  ) AS `at_risk_high_value`,
  COALESCE(
    `status` = 'active'
    AND `contract` = 'annual'
    AND `contract_end_days` BETWEEN 0 AND 60
    AND `complaints_90d` < 3
    AND `marketing_consent`,
    FALSE
  ) AS `contract_ending`,
  COALESCE(
    `status` = 'churned'
    AND `churned_days` BETWEEN 7 AND 90
    AND `complaints_90d` <= 2
    AND `tenure_months` >= 6
    AND `marketing_consent`
    AND NOT `email` IS NULL,
    FALSE
  ) AS `recently_churned`,
  COALESCE(
    `contract` = 'prepaid'
    AND `status` = 'active'
    AND `days_since_last_usage` BETWEEN 14 AND 60
    AND NOT `autopay`
    AND `marketing_consent`,
    FALSE
  ) AS `prepaid_dormant`,
  COALESCE(
    `status` = 'churned'
    AND `churned_days` BETWEEN 91 AND 365
    AND `tenure_months` >= 6
    AND `marketing_consent`
    AND NOT `email` IS NULL,
    FALSE
  ) AS `lapsed_churned`,
  COALESCE(
    `monthly_spend` >= 40
    AND `monthly_spend` < 100
    AND `status` = 'active'
    AND `agg_f4deef96e256` >= 3
    AND `marketing_consent`,
    FALSE
  ) AS `rising_mid`,
  COALESCE(
    `status` = 'active'
    AND `contract` IN ('monthly', 'annual')
    AND `agg_4acd110813c5` < -40
    AND `complaints_90d` < 3
    AND `marketing_consent`,
    FALSE
  ) AS `usage_drop`,
  COALESCE(
    `contract` = 'prepaid'
    AND `status` = 'active'
    AND `agg_9ccb9ea446a7` BETWEEN 30 AND 90
    AND `agg_329c2c131fe9` >= 3
    AND `marketing_consent`,
    FALSE
  ) AS `lapsing_prepaid`
FROM `customers_with_history`;

-- Assignment: highest priority wins (ties: declared first); control = md5 bucket < control%;
-- kept = within channel capacity over the play's window (lowest priority dropped first).
WITH pick AS (
  SELECT
    `id` AS `k`,
    CASE
      WHEN `status` = 'active'
      AND `contract` IN ('monthly', 'annual')
      AND `churn_score` >= 50
      AND `monthly_spend` >= 40
      THEN 'port_out_save'
      WHEN `monthly_spend` >= 100
      AND `status` = 'active'
      AND `churn_score` >= 70
      AND `tenure_months` >= 12
      AND (
        `complaints_90d` >= 1 OR `days_since_last_usage` > 7
      )
      THEN 'at_risk_care'
      WHEN (
        `monthly_spend` >= 40 AND `monthly_spend` < 100
      )
      AND COALESCE(`__moved_downgrade_care`, FALSE)
      THEN 'downgrade_care'
      WHEN `status` = 'active'
      AND `contract` IN ('monthly', 'annual')
      AND `agg_4acd110813c5` < -40
      AND `complaints_90d` < 3
      AND `marketing_consent`
      THEN 'usage_checkin'
      WHEN `status` = 'active'
      AND `contract` = 'annual'
      AND `contract_end_days` BETWEEN 0 AND 60
      AND `complaints_90d` < 3
      AND `marketing_consent`
      THEN 'contract_renewal'
      WHEN (
        `status` = 'churned'
        AND `churned_days` BETWEEN 7 AND 90
        AND `complaints_90d` <= 2
        AND `tenure_months` >= 6
        AND `marketing_consent`
        AND NOT `email` IS NULL
      )
      AND COALESCE(`__moved_first_month_winback`, FALSE)
      THEN 'first_month_winback'
      WHEN `status` = 'churned'
      AND `churned_days` BETWEEN 7 AND 90
      AND `complaints_90d` <= 2
      AND `tenure_months` >= 6
      AND `marketing_consent`
      AND NOT `email` IS NULL
      THEN 'winback'
      WHEN `status` = 'churned'
      AND `churned_days` BETWEEN 91 AND 365
      AND `tenure_months` >= 6
      AND `marketing_consent`
      AND NOT `email` IS NULL
      THEN 'staged_winback'
      WHEN `monthly_spend` >= 40
      AND `monthly_spend` < 100
      AND `status` = 'active'
      AND `agg_f4deef96e256` >= 3
      AND `marketing_consent`
      THEN 'rising_upgrade'
      WHEN `contract` = 'prepaid'
      AND `status` = 'active'
      AND `agg_9ccb9ea446a7` BETWEEN 30 AND 90
      AND `agg_329c2c131fe9` >= 3
      AND `marketing_consent`
      THEN 'lapsing_topup'
      WHEN (
        `contract` = 'prepaid'
        AND `status` = 'active'
        AND `days_since_last_usage` BETWEEN 14 AND 60
        AND NOT `autopay`
        AND `marketing_consent`
      )
      AND COALESCE(`days_since_last_usage` >= 21, FALSE)
      THEN 'prepaid_reactivation'
    END AS `play`
  FROM `customers_with_history`
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
        'port_out_save' AS `play_id`,
        'save_desk' AS `segment`,
        'call' AS `channel`,
        'save_call' AS `script`,
        90 AS `priority`,
        0 AS `play_order`,
        500 AS `control_bp`,
        1 AS `cost`,
        730000 AS `cap`
      ),
      STRUCT(
        'at_risk_care' AS `play_id`,
        'at_risk_high_value' AS `segment`,
        'call' AS `channel`,
        'care_call' AS `script`,
        70 AS `priority`,
        1 AS `play_order`,
        1000 AS `control_bp`,
        1 AS `cost`,
        730000 AS `cap`
      ),
      STRUCT(
        'downgrade_care' AS `play_id`,
        'value_mid' AS `segment`,
        'email' AS `channel`,
        'care_email' AS `script`,
        65 AS `priority`,
        9 AS `play_order`,
        1000 AS `control_bp`,
        CAST(NULL AS INT64) AS `cost`,
        CAST(NULL AS INT64) AS `cap`
      ),
      STRUCT(
        'usage_checkin' AS `play_id`,
        'usage_drop' AS `segment`,
        'call' AS `channel`,
        'usage_call' AS `script`,
        60 AS `priority`,
        7 AS `play_order`,
        1000 AS `control_bp`,
        1 AS `cost`,
        730000 AS `cap`
      ),
      STRUCT(
        'contract_renewal' AS `play_id`,
        'contract_ending' AS `segment`,
        'email' AS `channel`,
        'renewal_email' AS `script`,
        50 AS `priority`,
        2 AS `play_order`,
        1000 AS `control_bp`,
        CAST(NULL AS INT64) AS `cost`,
        CAST(NULL AS INT64) AS `cap`
      ),
      STRUCT(
        'first_month_winback' AS `play_id`,
        'recently_churned' AS `segment`,
        'email' AS `channel`,
        'winback_email' AS `script`,
        45 AS `priority`,
        10 AS `play_order`,
        1000 AS `control_bp`,
        CAST(NULL AS INT64) AS `cost`,
        CAST(NULL AS INT64) AS `cap`
      ),
      STRUCT(
        'winback' AS `play_id`,
        'recently_churned' AS `segment`,
        'email' AS `channel`,
        'winback_email' AS `script`,
        40 AS `priority`,
        3 AS `play_order`,
        1000 AS `control_bp`,
        CAST(NULL AS INT64) AS `cost`,
        CAST(NULL AS INT64) AS `cap`
      ),
      STRUCT(
        'staged_winback' AS `play_id`,
        'lapsed_churned' AS `segment`,
        'email' AS `channel`,
        'survey_email' AS `script`,
        30 AS `priority`,
        5 AS `play_order`,
        1000 AS `control_bp`,
        CAST(NULL AS INT64) AS `cost`,
        CAST(NULL AS INT64) AS `cap`
      ),
      STRUCT(
        'rising_upgrade' AS `play_id`,
        'rising_mid' AS `segment`,
        'email' AS `channel`,
        'upgrade_email' AS `script`,
        30 AS `priority`,
        6 AS `play_order`,
        1000 AS `control_bp`,
        CAST(NULL AS INT64) AS `cost`,
        CAST(NULL AS INT64) AS `cap`
      ),
      STRUCT(
        'lapsing_topup' AS `play_id`,
        'lapsing_prepaid' AS `segment`,
        'sms' AS `channel`,
        'prepaid_sms' AS `script`,
        25 AS `priority`,
        8 AS `play_order`,
        1000 AS `control_bp`,
        1 AS `cost`,
        36500000 AS `cap`
      ),
      STRUCT(
        'prepaid_reactivation' AS `play_id`,
        'prepaid_dormant' AS `segment`,
        'sms' AS `channel`,
        'prepaid_sms' AS `script`,
        20 AS `priority`,
        4 AS `play_order`,
        1000 AS `control_bp`,
        1 AS `cost`,
        36500000 AS `cap`
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
), `customers_with_history` AS (
  SELECT
    `c`.*,
    COALESCE(`g0`.`agg_f4deef96e256`, 0) AS `agg_f4deef96e256`, /* streak(monthly.spend increasing) */
    `g1`.`agg_4acd110813c5` AS `agg_4acd110813c5`, /* change(monthly.data_gb over 3mo) */
    `g2`.`agg_9ccb9ea446a7` AS `agg_9ccb9ea446a7`, /* days_since(last topups) */
    COALESCE(`g2`.`agg_329c2c131fe9`, 0) AS `agg_329c2c131fe9` /* count(topups over 180d) */
  FROM `subscriber` AS `c`
  LEFT JOIN (
    SELECT
      `__key`,
      MAX(`__n`) - MAX(CASE WHEN NOT `__prev` IS NULL AND `spend` > `__prev` THEN 0 ELSE `__n` END) AS `agg_f4deef96e256`
    FROM (
      SELECT
        `__key`,
        `spend`,
        LAG(`spend`) OVER (PARTITION BY `__key` ORDER BY `month` ASC NULLS LAST, `spend` ASC NULLS LAST) AS `__prev`,
        ROW_NUMBER() OVER (PARTITION BY `__key` ORDER BY `month` ASC NULLS LAST, `spend` ASC NULLS LAST) AS `__n`
      FROM (
        SELECT
          `subscriber_id` AS `__key`,
          `month`,
          `spend`
        FROM `monthly`
        WHERE
          `month` <= CAST('2026-03-15' AS DATE)
      ) AS r
    ) AS s
    GROUP BY
      `__key`
  ) AS `g0`
    ON `c`.`id` = `g0`.`__key`
  LEFT JOIN (
    SELECT
      `__key`,
      CASE
        WHEN COUNT(*) >= 2 AND MAX(CASE WHEN `__up` = 1 THEN `data_gb` END) <> 0
        THEN CAST((
          MAX(CASE WHEN `__down` = 1 THEN `data_gb` END) - MAX(CASE WHEN `__up` = 1 THEN `data_gb` END)
        ) * 100.0 / ABS(MAX(CASE WHEN `__up` = 1 THEN `data_gb` END)) AS BIGNUMERIC)
      END AS `agg_4acd110813c5`
    FROM (
      SELECT
        `__key`,
        `data_gb`,
        ROW_NUMBER() OVER (PARTITION BY `__key` ORDER BY `month` ASC NULLS LAST, `data_gb` ASC NULLS LAST) AS `__up`,
        ROW_NUMBER() OVER (PARTITION BY `__key` ORDER BY `month` DESC, `data_gb` DESC) AS `__down`
      FROM (
        SELECT
          `subscriber_id` AS `__key`,
          `month`,
          `data_gb`
        FROM `monthly`
        WHERE
          `month` <= CAST('2026-03-15' AS DATE)
          AND (
            `month` > DATE_SUB(CAST('2026-03-15' AS DATE), INTERVAL 3 MONTH)
            AND NOT `data_gb` IS NULL
          )
      ) AS r
    ) AS k
    GROUP BY
      `__key`
  ) AS `g1`
    ON `c`.`id` = `g1`.`__key`
  LEFT JOIN (
    SELECT
      `subscriber_id` AS `__key`,
      DATE_DIFF(CAST('2026-03-15' AS DATE), MAX(`paid_on`), DAY) AS `agg_9ccb9ea446a7`,
      COUNT(
        CASE
          WHEN `paid_on` > DATE_SUB(CAST('2026-03-15' AS DATE), INTERVAL 180 DAY)
          THEN 1
        END
      ) AS `agg_329c2c131fe9`
    FROM `topups`
    WHERE
      `paid_on` <= CAST('2026-03-15' AS DATE)
    GROUP BY
      `subscriber_id`
  ) AS `g2`
    ON `c`.`id` = `g2`.`__key`
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
