"""Upper bounds on numbers people type: beyond them it is a typing mistake, and the database refuses it.

One place, used by every form and the Excel import; format_* shows them the Vietnamese way.
"""

MAX_QTY = 1_000_000  # a target or an output (tin bài, cuộc họp báo...): far above any real plan
MAX_MONEY = 10_000_000_000_000  # 10.000 tỷ đồng, far above any communications budget; fits BIGINT
