-- stratlang: segment rules and play assignment for strategy: Churn & Win-back 2026
-- dialect: postgres; table: subscriber (one row per customer, columns as the schema)
-- history tables: monthly, topups (rows over time per customer); aggregates as of 2026-03-15.
-- transition triggers read __moved_PLAY: TRUE for a customer who changed since the previous customer table (lists --previous adds it; docs/data.md).

-- Segments: one boolean column per segment (TRUE = member).
WITH "customers_with_history" AS (
  SELECT
    "c".*,
    COALESCE("g0"."agg_f4deef96e256", 0) AS "agg_f4deef96e256", /* streak(monthly.spend increasing) */
    "g1"."agg_4acd110813c5" AS "agg_4acd110813c5", /* change(monthly.data_gb over 3mo) */
    "g2"."agg_9ccb9ea446a7" AS "agg_9ccb9ea446a7", /* days_since(last topups) */
    COALESCE("g2"."agg_329c2c131fe9", 0) AS "agg_329c2c131fe9" /* count(topups over 180d) */
  FROM "subscriber" AS "c"
  LEFT JOIN (
    SELECT
      "__key",
      MAX("__n") - MAX(CASE WHEN NOT "__prev" IS NULL AND "spend" > "__prev" THEN 0 ELSE "__n" END) AS "agg_f4deef96e256"
    FROM (
      SELECT
        "__key",
        "spend",
        LAG("spend") OVER (PARTITION BY "__key" ORDER BY "month" ASC, "spend" ASC) AS "__prev",
        ROW_NUMBER() OVER (PARTITION BY "__key" ORDER BY "month" ASC, "spend" ASC) AS "__n"
      FROM (
        SELECT
          "subscriber_id" AS "__key",
          "month",
          "spend"
        FROM "monthly"
        WHERE
          "month" <= CAST('2026-03-15' AS DATE)
      ) AS r
    ) AS s
    GROUP BY
      "__key"
  ) AS "g0"
    ON "c"."id" = "g0"."__key"
  LEFT JOIN (
    SELECT
      "__key",
      CASE
        WHEN COUNT(*) >= 2 AND MAX(CASE WHEN "__up" = 1 THEN "data_gb" END) <> 0
        THEN CAST(CAST((
          MAX(CASE WHEN "__down" = 1 THEN "data_gb" END) - MAX(CASE WHEN "__up" = 1 THEN "data_gb" END)
        ) * 100.0 AS DOUBLE PRECISION) / ABS(MAX(CASE WHEN "__up" = 1 THEN "data_gb" END)) AS DECIMAL(38, 6))
      END AS "agg_4acd110813c5"
    FROM (
      SELECT
        "__key",
        "data_gb",
        ROW_NUMBER() OVER (PARTITION BY "__key" ORDER BY "month" ASC, "data_gb" ASC) AS "__up",
        ROW_NUMBER() OVER (PARTITION BY "__key" ORDER BY "month" DESC NULLS LAST, "data_gb" DESC NULLS LAST) AS "__down"
      FROM (
        SELECT
          "subscriber_id" AS "__key",
          "month",
          "data_gb"
        FROM "monthly"
        WHERE
          "month" <= CAST('2026-03-15' AS DATE)
          AND (
            "month" > (
              CAST('2026-03-15' AS DATE) - INTERVAL '3 MONTH'
            )
            AND NOT "data_gb" IS NULL
          )
      ) AS r
    ) AS k
    GROUP BY
      "__key"
  ) AS "g1"
    ON "c"."id" = "g1"."__key"
  LEFT JOIN (
    SELECT
      "subscriber_id" AS "__key",
      CAST(EXTRACT(epoch FROM CAST(CAST('2026-03-15' AS DATE) AS TIMESTAMP) - CAST(MAX("paid_on") AS TIMESTAMP)) / 86400 AS BIGINT) AS "agg_9ccb9ea446a7",
      COUNT(
        CASE
          WHEN "paid_on" > (
            CAST('2026-03-15' AS DATE) - INTERVAL '180 DAY'
          )
          THEN 1
        END
      ) AS "agg_329c2c131fe9"
    FROM "topups"
    WHERE
      "paid_on" <= CAST('2026-03-15' AS DATE)
    GROUP BY
      "subscriber_id"
  ) AS "g2"
    ON "c"."id" = "g2"."__key"
)
SELECT
  "id",
  COALESCE("monthly_spend" >= 100, FALSE) AS "value_high",
  COALESCE("monthly_spend" >= 40 AND "monthly_spend" < 100, FALSE) AS "value_mid",
  COALESCE("monthly_spend" < 40, FALSE) AS "value_low",
  COALESCE(
    "status" = 'active'
    AND "contract" IN ('monthly', 'annual')
    AND "churn_score" >= 50
    AND "monthly_spend" >= 40,
    FALSE
  ) AS "save_desk",
  COALESCE(
    "monthly_spend" >= 100
    AND "status" = 'active'
    AND "churn_score" >= 70
    AND "tenure_months" >= 12
    AND (
      "complaints_90d" >= 1 OR "days_since_last_usage" > 7
    ),
    FALSE
  ) AS "at_risk_high_value",
  COALESCE(
    "status" = 'active'
    AND "contract" = 'annual'
    AND "contract_end_days" BETWEEN 0 AND 60
    AND "complaints_90d" < 3
    AND "marketing_consent",
    FALSE
  ) AS "contract_ending",
  COALESCE(
    "status" = 'churned'
    AND "churned_days" BETWEEN 7 AND 90
    AND "complaints_90d" <= 2
    AND "tenure_months" >= 6
    AND "marketing_consent"
    AND NOT "email" IS NULL,
    FALSE
  ) AS "recently_churned",
  COALESCE(
    "contract" = 'prepaid'
    AND "status" = 'active'
    AND "days_since_last_usage" BETWEEN 14 AND 60
    AND NOT "autopay"
    AND "marketing_consent",
    FALSE
  ) AS "prepaid_dormant",
  COALESCE(
    "status" = 'churned'
    AND "churned_days" BETWEEN 91 AND 365
    AND "tenure_months" >= 6
    AND "marketing_consent"
    AND NOT "email" IS NULL,
    FALSE
  ) AS "lapsed_churned",
  COALESCE(
    "monthly_spend" >= 40
    AND "monthly_spend" < 100
    AND "status" = 'active'
    AND "agg_f4deef96e256" >= 3
    AND "marketing_consent",
    FALSE
  ) AS "rising_mid",
  COALESCE(
    "status" = 'active'
    AND "contract" IN ('monthly', 'annual')
    AND "agg_4acd110813c5" < -40
    AND "complaints_90d" < 3
    AND "marketing_consent",
    FALSE
  ) AS "usage_drop",
  COALESCE(
    "contract" = 'prepaid'
    AND "status" = 'active'
    AND "agg_9ccb9ea446a7" BETWEEN 30 AND 90
    AND "agg_329c2c131fe9" >= 3
    AND "marketing_consent",
    FALSE
  ) AS "lapsing_prepaid"
FROM "customers_with_history";

-- Assignment: highest priority wins (ties: declared first); control = md5 bucket < control%;
-- kept = within channel capacity over the play's window (lowest priority dropped first).
WITH pick AS (
  SELECT
    "id" AS "k",
    CASE
      WHEN "status" = 'active'
      AND "contract" IN ('monthly', 'annual')
      AND "churn_score" >= 50
      AND "monthly_spend" >= 40
      THEN 'port_out_save'
      WHEN "monthly_spend" >= 100
      AND "status" = 'active'
      AND "churn_score" >= 70
      AND "tenure_months" >= 12
      AND (
        "complaints_90d" >= 1 OR "days_since_last_usage" > 7
      )
      THEN 'at_risk_care'
      WHEN (
        "monthly_spend" >= 40 AND "monthly_spend" < 100
      )
      AND COALESCE("__moved_downgrade_care", FALSE)
      THEN 'downgrade_care'
      WHEN "status" = 'active'
      AND "contract" IN ('monthly', 'annual')
      AND "agg_4acd110813c5" < -40
      AND "complaints_90d" < 3
      AND "marketing_consent"
      THEN 'usage_checkin'
      WHEN "status" = 'active'
      AND "contract" = 'annual'
      AND "contract_end_days" BETWEEN 0 AND 60
      AND "complaints_90d" < 3
      AND "marketing_consent"
      THEN 'contract_renewal'
      WHEN (
        "status" = 'churned'
        AND "churned_days" BETWEEN 7 AND 90
        AND "complaints_90d" <= 2
        AND "tenure_months" >= 6
        AND "marketing_consent"
        AND NOT "email" IS NULL
      )
      AND COALESCE("__moved_first_month_winback", FALSE)
      THEN 'first_month_winback'
      WHEN "status" = 'churned'
      AND "churned_days" BETWEEN 7 AND 90
      AND "complaints_90d" <= 2
      AND "tenure_months" >= 6
      AND "marketing_consent"
      AND NOT "email" IS NULL
      THEN 'winback'
      WHEN "status" = 'churned'
      AND "churned_days" BETWEEN 91 AND 365
      AND "tenure_months" >= 6
      AND "marketing_consent"
      AND NOT "email" IS NULL
      THEN 'staged_winback'
      WHEN "monthly_spend" >= 40
      AND "monthly_spend" < 100
      AND "status" = 'active'
      AND "agg_f4deef96e256" >= 3
      AND "marketing_consent"
      THEN 'rising_upgrade'
      WHEN "contract" = 'prepaid'
      AND "status" = 'active'
      AND "agg_9ccb9ea446a7" BETWEEN 30 AND 90
      AND "agg_329c2c131fe9" >= 3
      AND "marketing_consent"
      THEN 'lapsing_topup'
      WHEN (
        "contract" = 'prepaid'
        AND "status" = 'active'
        AND "days_since_last_usage" BETWEEN 14 AND 60
        AND NOT "autopay"
        AND "marketing_consent"
      )
      AND COALESCE("days_since_last_usage" >= 21, FALSE)
      THEN 'prepaid_reactivation'
    END AS "play"
  FROM "customers_with_history"
), joined AS (
  SELECT
    "pick"."k",
    "m"."play_id",
    "m"."segment",
    "m"."channel",
    "m"."script",
    "m"."priority",
    "m"."play_order",
    "m"."control_bp",
    "m"."cost",
    "m"."cap",
    MD5(CAST("pick"."k" AS VARCHAR) || '|' || "m"."play_id") AS "d"
  FROM "pick"
  INNER JOIN (
    SELECT
      *
    FROM (VALUES
      ('port_out_save', 'save_desk', 'call', 'save_call', 90, 0, 500, 1, 730000),
      (
        'at_risk_care',
        'at_risk_high_value',
        'call',
        'care_call',
        70,
        1,
        1000,
        1,
        730000
      ),
      (
        'downgrade_care',
        'value_mid',
        'email',
        'care_email',
        65,
        9,
        1000,
        CAST(NULL AS BIGINT),
        CAST(NULL AS BIGINT)
      ),
      ('usage_checkin', 'usage_drop', 'call', 'usage_call', 60, 7, 1000, 1, 730000),
      (
        'contract_renewal',
        'contract_ending',
        'email',
        'renewal_email',
        50,
        2,
        1000,
        CAST(NULL AS BIGINT),
        CAST(NULL AS BIGINT)
      ),
      (
        'first_month_winback',
        'recently_churned',
        'email',
        'winback_email',
        45,
        10,
        1000,
        CAST(NULL AS BIGINT),
        CAST(NULL AS BIGINT)
      ),
      (
        'winback',
        'recently_churned',
        'email',
        'winback_email',
        40,
        3,
        1000,
        CAST(NULL AS BIGINT),
        CAST(NULL AS BIGINT)
      ),
      (
        'staged_winback',
        'lapsed_churned',
        'email',
        'survey_email',
        30,
        5,
        1000,
        CAST(NULL AS BIGINT),
        CAST(NULL AS BIGINT)
      ),
      (
        'rising_upgrade',
        'rising_mid',
        'email',
        'upgrade_email',
        30,
        6,
        1000,
        CAST(NULL AS BIGINT),
        CAST(NULL AS BIGINT)
      ),
      (
        'lapsing_topup',
        'lapsing_prepaid',
        'sms',
        'prepaid_sms',
        25,
        8,
        1000,
        1,
        36500000
      ),
      (
        'prepaid_reactivation',
        'prepaid_dormant',
        'sms',
        'prepaid_sms',
        20,
        4,
        1000,
        1,
        36500000
      )) AS "meta"("play_id", "segment", "channel", "script", "priority", "play_order", "control_bp", "cost", "cap")
  ) AS "m"
    ON "pick"."play" = "m"."play_id"
), hashed AS (
  SELECT
    *,
    CAST(POSITION(SUBSTRING("d" FROM 1 FOR 1) IN '0123456789abcdef') - 1 AS BIGINT) * 268435456 + CAST(POSITION(SUBSTRING("d" FROM 2 FOR 1) IN '0123456789abcdef') - 1 AS BIGINT) * 16777216 + CAST(POSITION(SUBSTRING("d" FROM 3 FOR 1) IN '0123456789abcdef') - 1 AS BIGINT) * 1048576 + CAST(POSITION(SUBSTRING("d" FROM 4 FOR 1) IN '0123456789abcdef') - 1 AS BIGINT) * 65536 + CAST(POSITION(SUBSTRING("d" FROM 5 FOR 1) IN '0123456789abcdef') - 1 AS BIGINT) * 4096 + CAST(POSITION(SUBSTRING("d" FROM 6 FOR 1) IN '0123456789abcdef') - 1 AS BIGINT) * 256 + CAST(POSITION(SUBSTRING("d" FROM 7 FOR 1) IN '0123456789abcdef') - 1 AS BIGINT) * 16 + CAST(POSITION(SUBSTRING("d" FROM 8 FOR 1) IN '0123456789abcdef') - 1 AS BIGINT) AS "h"
  FROM "joined"
), ctl AS MATERIALIZED (
  SELECT
    *,
    "h" % 10000 < "control_bp" AS "control"
  FROM "hashed"
), per_play AS (
  SELECT
    "play_id",
    "channel",
    "priority",
    "play_order",
    "cost",
    "cap",
    SUM(CASE WHEN NOT "control" THEN 1 ELSE 0 END) AS "n"
  FROM "ctl"
  GROUP BY
    "play_id",
    "channel",
    "priority",
    "play_order",
    "cost",
    "cap"
), quota AS (
  SELECT
    "play_id",
    "n",
    CASE
      WHEN "cap" IS NULL
      THEN "n"
      WHEN "prev" >= "cap"
      THEN 0
      ELSE LEAST("n", DIV((
        "cap" - "prev"
      ), "cost"))
    END AS "m"
  FROM (
    SELECT
      *,
      COALESCE(
        SUM("n" * "cost") OVER (
          PARTITION BY "channel"
          ORDER BY "priority" DESC, "play_order"
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ),
        0
      ) AS "prev"
    FROM "per_play"
  ) AS "q"
), marked AS (
  SELECT
    "c".*,
    "q"."n",
    "q"."m"
  FROM "ctl" AS "c"
  JOIN "quota" AS "q"
    ON "c"."play_id" = "q"."play_id"
), "customers_with_history" AS (
  SELECT
    "c".*,
    COALESCE("g0"."agg_f4deef96e256", 0) AS "agg_f4deef96e256", /* streak(monthly.spend increasing) */
    "g1"."agg_4acd110813c5" AS "agg_4acd110813c5", /* change(monthly.data_gb over 3mo) */
    "g2"."agg_9ccb9ea446a7" AS "agg_9ccb9ea446a7", /* days_since(last topups) */
    COALESCE("g2"."agg_329c2c131fe9", 0) AS "agg_329c2c131fe9" /* count(topups over 180d) */
  FROM "subscriber" AS "c"
  LEFT JOIN (
    SELECT
      "__key",
      MAX("__n") - MAX(CASE WHEN NOT "__prev" IS NULL AND "spend" > "__prev" THEN 0 ELSE "__n" END) AS "agg_f4deef96e256"
    FROM (
      SELECT
        "__key",
        "spend",
        LAG("spend") OVER (PARTITION BY "__key" ORDER BY "month" ASC, "spend" ASC) AS "__prev",
        ROW_NUMBER() OVER (PARTITION BY "__key" ORDER BY "month" ASC, "spend" ASC) AS "__n"
      FROM (
        SELECT
          "subscriber_id" AS "__key",
          "month",
          "spend"
        FROM "monthly"
        WHERE
          "month" <= CAST('2026-03-15' AS DATE)
      ) AS r
    ) AS s
    GROUP BY
      "__key"
  ) AS "g0"
    ON "c"."id" = "g0"."__key"
  LEFT JOIN (
    SELECT
      "__key",
      CASE
        WHEN COUNT(*) >= 2 AND MAX(CASE WHEN "__up" = 1 THEN "data_gb" END) <> 0
        THEN CAST(CAST((
          MAX(CASE WHEN "__down" = 1 THEN "data_gb" END) - MAX(CASE WHEN "__up" = 1 THEN "data_gb" END)
        ) * 100.0 AS DOUBLE PRECISION) / ABS(MAX(CASE WHEN "__up" = 1 THEN "data_gb" END)) AS DECIMAL(38, 6))
      END AS "agg_4acd110813c5"
    FROM (
      SELECT
        "__key",
        "data_gb",
        ROW_NUMBER() OVER (PARTITION BY "__key" ORDER BY "month" ASC, "data_gb" ASC) AS "__up",
        ROW_NUMBER() OVER (PARTITION BY "__key" ORDER BY "month" DESC NULLS LAST, "data_gb" DESC NULLS LAST) AS "__down"
      FROM (
        SELECT
          "subscriber_id" AS "__key",
          "month",
          "data_gb"
        FROM "monthly"
        WHERE
          "month" <= CAST('2026-03-15' AS DATE)
          AND (
            "month" > (
              CAST('2026-03-15' AS DATE) - INTERVAL '3 MONTH'
            )
            AND NOT "data_gb" IS NULL
          )
      ) AS r
    ) AS k
    GROUP BY
      "__key"
  ) AS "g1"
    ON "c"."id" = "g1"."__key"
  LEFT JOIN (
    SELECT
      "subscriber_id" AS "__key",
      CAST(EXTRACT(epoch FROM CAST(CAST('2026-03-15' AS DATE) AS TIMESTAMP) - CAST(MAX("paid_on") AS TIMESTAMP)) / 86400 AS BIGINT) AS "agg_9ccb9ea446a7",
      COUNT(
        CASE
          WHEN "paid_on" > (
            CAST('2026-03-15' AS DATE) - INTERVAL '180 DAY'
          )
          THEN 1
        END
      ) AS "agg_329c2c131fe9"
    FROM "topups"
    WHERE
      "paid_on" <= CAST('2026-03-15' AS DATE)
    GROUP BY
      "subscriber_id"
  ) AS "g2"
    ON "c"."id" = "g2"."__key"
)
SELECT
  *
FROM (
  SELECT
    "k" AS "key",
    "segment",
    "play_id" AS "play",
    "channel",
    "script",
    "control",
    (
      "control" OR "m" >= "n"
    ) AS "kept",
    "priority",
    "play_order"
  FROM "marked"
  WHERE
    "control" OR "m" >= "n" OR "m" <= 0
  UNION ALL
  SELECT
    "k" AS "key",
    "segment",
    "play_id" AS "play",
    "channel",
    "script",
    "control",
    (
      ROW_NUMBER() OVER (PARTITION BY "play_id" ORDER BY "h", "k") <= "m"
    ) AS "kept",
    "priority",
    "play_order"
  FROM "marked"
  WHERE
    NOT "control" AND "m" < "n" AND "m" > 0
) AS "assigned";
