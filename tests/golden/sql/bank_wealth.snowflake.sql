-- stratlang: segment rules and play assignment for strategy: 财富客户经营 2026
-- dialect: snowflake; table: customer (one row per customer, columns as the schema)

-- Segments: one boolean column per segment (TRUE = member).
SELECT
  "id",
  COALESCE("aum" >= 1000000, FALSE) AS "wealth_vip",
  COALESCE("aum" >= 200000 AND "aum" < 1000000, FALSE) AS "wealth_mid",
  COALESCE("aum" < 200000, FALSE) AS "mass",
  COALESCE(
    "payroll"
    AND "age" BETWEEN 22 AND 35
    AND "aum" < 50000
    AND "risk_level" IN ('R2', 'R3', 'R4', 'R5')
    AND "marketing_consent"
    AND "city_tier" IN (1, 2, 3)
    AND "channel_pref" IN ('app', 'wechat', 'phone'),
    FALSE
  ) AS "payroll_young",
  COALESCE(
    "aum" >= 1000000
    AND "last_txn_days" > 90
    AND "marketing_consent"
    AND NOT "mobile_active",
    FALSE
  ) AS "vip_dormant",
  COALESCE(
    "aum" >= 200000
    AND "aum" < 1000000
    AND "aum" >= 500000
    AND "risk_level" IN ('R3', 'R4', 'R5')
    AND "risk_assessed_on" >= CAST('2025-07-01' AS DATE)
    AND "products_held" <= 2
    AND "marketing_consent",
    FALSE
  ) AS "mid_upgrade",
  COALESCE(
    "deposit_maturity_days" <= 30
    AND "aum" >= 50000
    AND "risk_level" IN ('R2', 'R3', 'R4', 'R5')
    AND "marketing_consent",
    FALSE
  ) AS "deposit_maturing",
  COALESCE(
    "age" BETWEEN 55 AND 70
    AND "risk_level" IN ('R2', 'R3')
    AND "aum" >= 50000
    AND (
      NOT "mobile_active" OR "email" IS NULL
    )
    AND "marketing_consent" = TRUE,
    FALSE
  ) AS "silver_steady"
FROM "customer";

-- Assignment: highest priority wins (ties: declared first); control = md5 bucket < control%;
-- kept = within channel capacity over the play's window (lowest priority dropped first).
WITH pick AS (
  SELECT
    "id" AS "k",
    CASE
      WHEN "aum" >= 1000000
      AND "last_txn_days" > 90
      AND "marketing_consent"
      AND NOT "mobile_active"
      THEN 'vip_winback'
      WHEN "aum" >= 200000
      AND "aum" < 1000000
      AND "aum" >= 500000
      AND "risk_level" IN ('R3', 'R4', 'R5')
      AND "risk_assessed_on" >= CAST('2025-07-01' AS DATE)
      AND "products_held" <= 2
      AND "marketing_consent"
      THEN 'mid_upgrade_play'
      WHEN (
        "deposit_maturity_days" <= 30
        AND "aum" >= 50000
        AND "risk_level" IN ('R2', 'R3', 'R4', 'R5')
        AND "marketing_consent"
      )
      AND COALESCE("deposit_maturity_days" BETWEEN 1 AND 15, FALSE)
      THEN 'deposit_rollover'
      WHEN "age" BETWEEN 55 AND 70
      AND "risk_level" IN ('R2', 'R3')
      AND "aum" >= 50000
      AND (
        NOT "mobile_active" OR "email" IS NULL
      )
      AND "marketing_consent" = TRUE
      THEN 'silver_pension'
      WHEN "payroll"
      AND "age" BETWEEN 22 AND 35
      AND "aum" < 50000
      AND "risk_level" IN ('R2', 'R3', 'R4', 'R5')
      AND "marketing_consent"
      AND "city_tier" IN (1, 2, 3)
      AND "channel_pref" IN ('app', 'wechat', 'phone')
      THEN 'payroll_activation'
    END AS "play"
  FROM "customer"
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
      (
        'vip_winback',
        'vip_dormant',
        'phone',
        'vip_rm_call',
        50,
        1,
        1000,
        306,
        335070000
      ),
      (
        'mid_upgrade_play',
        'mid_upgrade',
        'wechat',
        'mid_wechat',
        40,
        2,
        1000,
        1,
        6060000
      ),
      (
        'deposit_rollover',
        'deposit_maturing',
        'sms',
        'deposit_sms',
        30,
        3,
        500,
        1,
        73000000
      ),
      (
        'silver_pension',
        'silver_steady',
        'phone',
        'silver_call',
        25,
        4,
        1000,
        365,
        335070000
      ),
      (
        'payroll_activation',
        'payroll_young',
        'app_push',
        'payroll_push',
        10,
        0,
        1000,
        CAST(NULL AS BIGINT),
        CAST(NULL AS BIGINT)
      )) AS "meta"("play_id", "segment", "channel", "script", "priority", "play_order", "control_bp", "cost", "cap")
  ) AS "m"
    ON "pick"."play" = "m"."play_id"
), hashed AS (
  SELECT
    *,
    CAST(CHARINDEX(SUBSTRING("d", 1, 1), '0123456789abcdef') - 1 AS BIGINT) * 268435456 + CAST(CHARINDEX(SUBSTRING("d", 2, 1), '0123456789abcdef') - 1 AS BIGINT) * 16777216 + CAST(CHARINDEX(SUBSTRING("d", 3, 1), '0123456789abcdef') - 1 AS BIGINT) * 1048576 + CAST(CHARINDEX(SUBSTRING("d", 4, 1), '0123456789abcdef') - 1 AS BIGINT) * 65536 + CAST(CHARINDEX(SUBSTRING("d", 5, 1), '0123456789abcdef') - 1 AS BIGINT) * 4096 + CAST(CHARINDEX(SUBSTRING("d", 6, 1), '0123456789abcdef') - 1 AS BIGINT) * 256 + CAST(CHARINDEX(SUBSTRING("d", 7, 1), '0123456789abcdef') - 1 AS BIGINT) * 16 + CAST(CHARINDEX(SUBSTRING("d", 8, 1), '0123456789abcdef') - 1 AS BIGINT) AS "h"
  FROM "joined"
), ctl AS (
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
    COUNT_IF(NOT "control") AS "n"
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
      ELSE LEAST_IGNORE_NULLS("n", CAST(TRUNC((
        "cap" - "prev"
      ) / "cost") AS BIGINT))
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
