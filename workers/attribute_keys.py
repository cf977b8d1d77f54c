"""Catalog attribute keys in the model's own words: synonyms and units mapped to its keys.

Catalog schemas differ: one shop's ``display`` is the copy grammar's ``screen``, its
``water_resistance`` the grammar's ``waterproof``, and a ``battery`` may hold "35 hours"
where the grammar's batteries hold mAh and its hours are ``battery_life``. A model trained
on the grammar (``export.phrases``) words each key its own way; a key it has never seen,
or a key holding another kind of value, leaves it without words. On the embedded sample
catalog that made its drafts fall apart ("a 35 hours cell", "a USD), with 5.3),") and 21 of
120 texts fell back to the template; with the keys mapped here, 8 did (the same guards;
``make demo`` gives 11 with the fluency guard that came after).

So ``model_key`` maps a key before it reaches the prompt (``workers.prompt.item_fields``):
- a synonym becomes the grammar's key (``ALIASES``, after ``-`` → ``_``), Chinese attribute
  names included ("续航" → ``battery_life``, "颜色" → ``color``): with "续航: 30小时" unmapped,
  none of the model's drafts for a Chinese headphone named its battery life, mapped all did;
- a value whose unit measures another kind of thing than the key's grammar values
  (``workers.guards.frames.unlike_values``) moves to the related key that holds that kind
  (``RELATED``: a battery in hours is a ``battery_life``, a size in ml a ``volume``);
- any other key stays as it is. Values never change, so the facts guard still checks the
  text against the catalog's own values.
Training items use the grammar's keys with the grammar's units, so the mapping leaves
every training prompt as it was (a test checks the corpus).
"""

from __future__ import annotations

from functools import lru_cache

# Synonyms seen in catalog schemas → the copy grammar's key (export.phrases.ATTR_*).
ALIASES: dict[str, str] = {
    **dict.fromkeys(("display", "display_size", "screen_size"), "screen"),
    **dict.fromkeys(
        ("water_resistance", "water_resistant", "water_rating", "ip_rating"), "waterproof"
    ),
    **dict.fromkeys(("battery_capacity", "battery_mah"), "battery"),
    **dict.fromkeys(("playtime", "play_time", "battery_hours", "battery_runtime"), "battery_life"),
    **dict.fromkeys(("runtime", "working_time", "run_time_minutes"), "run_time"),
    **dict.fromkeys(("wattage", "rated_power", "output_power"), "power"),
    **dict.fromkeys(("fast_charging", "charging_power", "charge_power"), "charging"),
    **dict.fromkeys(("internal_storage", "storage_capacity", "rom"), "storage"),
    **dict.fromkeys(("item_weight", "product_weight"), "weight"),
    **dict.fromkeys(("net_content", "net_contents", "net_wt"), "net_weight"),
    **dict.fromkeys(("colour", "colorway", "colour_name", "color_name"), "color"),
    **dict.fromkeys(("fabric", "materials"), "material"),
    **dict.fromkeys(("heel_height",), "heel"),
    **dict.fromkeys(("laptop_size", "fits_laptop"), "laptop"),
    **dict.fromkeys(("color_temperature", "colour_temperature"), "color_temp"),
    **dict.fromkeys(("page_count", "number_of_pages"), "pages"),
    **dict.fromkeys(("piece_count", "pieces_count", "pcs"), "pieces"),
    **dict.fromkeys(("flavour", "taste"), "flavor"),
    **dict.fromkeys(("fragrance",), "scent"),
    **dict.fromkeys(("age_range", "ages", "recommended_age"), "age"),
    **dict.fromkeys(("sun_protection",), "spf"),
    **dict.fromkeys(("eu_size", "us_size"), "shoe_size"),
    # Chinese catalogs often name attributes in Chinese.
    **dict.fromkeys(("颜色", "配色", "颜色分类"), "color"),
    **dict.fromkeys(("材质", "面料", "材料"), "material"),
    **dict.fromkeys(("风格",), "style"),
    **dict.fromkeys(("电池容量", "电池"), "battery"),
    **dict.fromkeys(("续航", "续航时间", "播放时间"), "battery_life"),
    **dict.fromkeys(("使用时间", "运行时间"), "run_time"),
    **dict.fromkeys(("功率", "额定功率"), "power"),
    **dict.fromkeys(("快充", "充电功率"), "charging"),
    **dict.fromkeys(("屏幕", "屏幕尺寸"), "screen"),
    **dict.fromkeys(("存储", "存储容量", "机身存储"), "storage"),
    **dict.fromkeys(("运行内存", "内存"), "ram"),
    **dict.fromkeys(("防水等级", "防水"), "waterproof"),
    **dict.fromkeys(("容量",), "capacity"),
    **dict.fromkeys(("重量", "净重"), "weight"),
    **dict.fromkeys(("净含量",), "net_weight"),
    **dict.fromkeys(("尺寸",), "size"),
    **dict.fromkeys(("尺码", "鞋码"), "shoe_size"),
    **dict.fromkeys(("厚度",), "thickness"),
    **dict.fromkeys(("长度",), "length"),
    **dict.fromkeys(("高度",), "height"),
    **dict.fromkeys(("直径", "口径"), "diameter"),
    **dict.fromkeys(("鞋跟高度", "跟高"), "heel"),
    **dict.fromkeys(("色温",), "color_temp"),
    **dict.fromkeys(("充绒量",), "fill_weight"),
    **dict.fromkeys(("适用肤质", "肤质"), "skin_type"),
    **dict.fromkeys(("香型",), "scent"),
    **dict.fromkeys(("色号",), "shade"),
    **dict.fromkeys(("作者",), "author"),
    **dict.fromkeys(("页数",), "pages"),
    **dict.fromkeys(("适用年龄", "年龄"), "age"),
    **dict.fromkeys(("口味",), "flavor"),
    **dict.fromkeys(("颗粒数", "件数"), "pieces"),
}

# Where a value goes when its unit does not fit its key: the first related key whose
# grammar values have that kind of unit. "size" is the grammar's luggage and apparel size;
# a size in ml or g is a cosmetic's volume, a bare number a shoe size; a capacity in mAh is
# a battery. Only moves that keep the claim true are listed: a washing machine's "capacity
# 8kg" is a load, not the product's weight, so capacity never becomes a weight.
RELATED: dict[str, tuple[str, ...]] = {
    "battery": ("battery_life",),
    "battery_life": ("battery",),
    "size": ("volume", "shoe_size"),
    "capacity": ("battery", "storage"),
}


# The guards package imports workers.prompt, which imports this module: the unit tables of
# workers.guards.frames are read when first asked for, not at import.


def _dimensions(units: frozenset[str | None]) -> frozenset[str]:
    from workers.guards.frames import dimension_of

    return frozenset(d for d in map(dimension_of, units) if d is not None)


@lru_cache(maxsize=4096)
def model_key(key: str, value: str) -> str:
    """The grammar's key for catalog attribute ``key`` holding ``value`` (see module doc).

    ``key`` is already sanitized (``workers.prompt.sanitize_key``); an unknown key comes back
    unchanged.
    """
    from workers.guards.frames import dimension_of, grammar_units, unit_of

    key = ALIASES.get(key.replace("-", "_"), key)
    units = grammar_units()
    known = units.get(key)
    unit = unit_of(value)
    if known is None or unit is None or unit in known:
        return key
    kind = dimension_of(unit)
    if kind is None or kind in _dimensions(known):
        return key
    for other in RELATED.get(key, ()):
        theirs = units.get(other, frozenset())
        if unit in theirs or kind in _dimensions(theirs):
            return other
    return key
