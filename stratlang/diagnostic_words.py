"""The diagnostic codes in words, for the playbook's remaining-warnings table.

    code_words("MAP406", "zh") -> "战略目标没有设定指标"
    code_words("MAP406", "en") -> "objective has no target"

English is the catalogue's own short description (`diagnostics.CODES`); Chinese is kept here,
one line per code (a test checks that every catalogued code has one). A diagnostic's full message
is written in English by the checker; the Chinese playbook shows the code's Chinese description
and keeps the English message as a detail (docs/playbook.md).
"""

from __future__ import annotations

from .diagnostics import CODES

CODES_ZH: dict[str, str] = {
    "SYN101": "出现了不应有的符号",
    "SYN102": "字符串未结束或括号不配对",
    "SYN103": "字面量写法有误",
    "SYN104": "文件意外结束",
    "NAM201": "引用了未定义的名称",
    "NAM202": "标识重复",
    "NAM203": "引用的对象类型不对",
    "NAM204": "未知的属性",
    "NAM205": "缺少必填属性",
    "NAM206": "导入的文件不存在、在项目目录之外或循环导入",
    "NAM207": "属性重复给出",
    "TYP301": "未知的客户字段",
    "TYP302": "类型不匹配",
    "TYP303": "未知的枚举值",
    "TYP304": "数值的单位与属性不符",
    "TYP305": "区间或日期有误",
    "TYP306": "话术中有未知的占位符",
    "TYP307": "客户字段定义有误",
    "TYP308": "历史数据表定义有误",
    "TYP309": "未知的历史数据表或字段",
    "TYP310": "聚合写法有误",
    "MAP401": "战略目标之间存在因果循环",
    "MAP402": "因果连线由高层面指向低层面",
    "MAP403": "战略目标未连到最高层面的任何目标",
    "MAP404": "最高层面的战略目标没有驱动因素",
    "MAP405": "层面下没有战略目标",
    "MAP406": "战略目标没有设定指标",
    "MAP407": "没有策略或行动方案支撑该战略目标",
    "MAP408": "因果连线重复或指向自身",
    "MAP409": "战略地图各层面不均衡",
    "MAP410": "战略地图过大，难以阅读",
    "MAP411": "阶段目标与指标相矛盾",
    "MAP412": "机会差距没有对应的目标或行动方案",
    "SEG501": "客群规则不可能匹配任何客户",
    "SEG502": "互斥分层之间有重叠",
    "SEG503": "完备分层有遗漏",
    "SEG504": "客群未被任何策略或分层使用",
    "SEG505": "继承链循环或与上级客群矛盾",
    "PLY601": "步骤的渠道与话术的渠道不一致",
    "PLY602": "产品风险等级超出客群的风险承受能力",
    "PLY603": "有风险等级的产品，其话术缺少风险提示",
    "PLY604": "超出渠道产能",
    "PLY605": "策略超出渠道的频次上限",
    "PLY606": "策略未支撑任何战略目标",
    "PLY607": "优先级相同的策略面向重叠的客群",
    "PLY608": "步骤编号有误",
    "PLY609": "话术含有禁用语",
    "PLY610": "消息类话术没有退订说明",
    "PLY611": "策略的成效无法衡量",
    "PLY612": "步骤重复列出同一产品",
    "GOV701": "策略自身的触达安排违反联系频次限制",
    "GOV702": "两个策略合起来可能违反联系频次限制",
    "GOV703": "策略的客群包含未给出所需授权的客户",
    "GOV704": "各实验方案的分流比例之和不是100%",
    "ALN001": "上级战略项目无法使用",
    "ALN002": "对齐的目标不是上级战略的目标",
    "ALN003": "上级战略目标没有下级承接",
    "ALN004": "下级目标未对齐任何上级目标",
    "ALN005": "指标单位与所承接的上级指标不同",
    "ALN006": "下级指标合计未达到上级指标",
    "ALN007": "指标期限晚于所承接的上级指标",
    "ALN008": "上下级的维度顺序不一致",
    "ALN009": "组织单元有误：未定义、循环或不在上级单元之下",
    "ALN010": "已声明组织单元时负责人仍写作文字",
    "ALN011": "serves 所指不是所对齐上级目标的指标",
    "REV801": "指标亮红灯：最新实际值未达目标，且超出容差",
    "REV802": "指标亮黄灯：最新实际值未达目标，但在容差之内",
    "REV803": "回检规则已触发",
    "REV804": "已结束的周期没有实际值",
    "TST901": "测试客户的结果与测试用例的预期不符",
    "TST902": "测试用例文件与客户表结构不符，无法读取",
}


def code_words(code: str, lang: str) -> str | None:
    """The short description of `code` in `lang`; None for a code the catalogue does not know."""
    if lang == "zh":
        return CODES_ZH.get(code)
    found = CODES.get(code)
    return found[1] if found is not None else None
