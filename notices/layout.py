"""Title line breaks per GB/T 9704-2012 §7.3.3 (词意完整、排列对称、长短适宜).

The title is cut into words with jieba plus a dictionary of the domain's terms (document
kinds, platforms, the names frozen into the notice); a quoted name 「“…”」 or a bracketed
number 「〔…〕」 is one unbreakable token. Lines are then chosen among word boundaries only:
the fewest lines that fit the type area, and among those the most even ones (the sum of
squared differences from the mean line width), so no word is cut and no line is left with
a lone word.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Iterable
from functools import lru_cache

# Characters per title line: 156 mm type area / 22 pt (2号) ≈ 20.1 full-width characters.
TITLE_LINE_CHARS = 20.0

# Terms jieba must never split (and short words it should not glue to their neighbours).
DOMAIN_TERMS = (
    "政务新媒体", "微信公众号", "微信小程序", "视频号", "抖音号", "头条号", "微博", "客户端",
    "账号", "批复", "公告", "通报", "通知", "回执", "备案", "备案回执", "变更备案", "变更备案函",
    "整合迁移", "关停", "注销", "整改", "整改通知", "检查通报", "抽查", "季度", "上半年",
    "下半年", "年度", "情况", "撤销", "开设", "同意", "关于", "有关", "事项",
)

# Tokens that stay whole: a quoted name, a bracketed year, a number with its 号.
_WHOLE = re.compile(r"“[^”]{0,40}”|‘[^’]{0,40}’|《[^》]{0,40}》|〔\d+〕\d*号?|\d+(?:\.\d+)?%?")
# Punctuation that never starts a line (attached to the token before it).
_NO_LINE_START = set("，。、；：？！”’》）〕】,.;:?!)")

_JIEBA_LOCK = threading.Lock()
logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _segmenter():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for term in DOMAIN_TERMS:
        tokenizer.add_word(term, freq=200000)
    return tokenizer


def char_width(ch: str) -> float:
    """Full-width characters count 1, ASCII (letters, digits, spaces) ½."""
    return 0.5 if ord(ch) < 0x2000 else 1.0


def text_width(text: str) -> float:
    return sum(char_width(c) for c in text)


def words(text: str, extra_terms: Iterable[str] = ()) -> list[str]:
    """The title's unbreakable tokens, in order; joined they give back `text`."""
    seg = _segmenter()
    pieces: list[str] = []
    pos = 0
    with _JIEBA_LOCK:
        for term in extra_terms:
            term = (term or "").strip()
            if 1 < len(term) <= 20:
                seg.add_word(term, freq=200000)
        for match in _WHOLE.finditer(text):
            pieces.extend(seg.lcut(text[pos:match.start()], HMM=False))
            pieces.append(match.group())
            pos = match.end()
        pieces.extend(seg.lcut(text[pos:], HMM=False))
    tokens: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if tokens and (piece[0] in _NO_LINE_START):
            tokens[-1] += piece
        else:
            tokens.append(piece)
    return tokens


def _split_long(tokens: list[str], limit: float) -> list[str]:
    """A single token wider than a line (a very long name) is cut by characters."""
    out: list[str] = []
    for token in tokens:
        if text_width(token) <= limit:
            out.append(token)
            continue
        if len(token) > 2 and token[0] in "“‘《" and _WHOLE.fullmatch(token):
            # A long quoted title breaks between its own words; the marks stay attached.
            inner = words(token[1:-1])
            if len(inner) > 1:
                inner[0] = token[0] + inner[0]
                inner[-1] += token[-1]
                out.extend(_split_long(inner, limit))
                continue
        chunk = ""
        for ch in token:
            if text_width(chunk + ch) > limit:
                out.append(chunk)
                chunk = ""
            chunk += ch
        if chunk:
            out.append(chunk)
    return out


def break_title(
    title: str, *, limit: float = TITLE_LINE_CHARS, extra_terms: Iterable[str] = ()
) -> list[str]:
    """The title's lines: as few as fit, cut between words, as even as possible."""
    title = " ".join((title or "").split())
    if text_width(title) <= limit:
        return [title] if title else []
    tokens = _split_long(words(title, extra_terms), limit)
    widths = [text_width(t) for t in tokens]
    total = sum(widths)
    n = len(tokens)
    prefix = [0.0]
    for w in widths:
        prefix.append(prefix[-1] + w)
    for lines in range(max(2, math.ceil(total / limit)), n + 1):
        mean = total / lines
        # best[k][i]: least cost of setting tokens[:i] on k lines; choice for backtracking.
        inf = float("inf")
        best = [[inf] * (n + 1) for _ in range(lines + 1)]
        back = [[0] * (n + 1) for _ in range(lines + 1)]
        best[0][0] = 0.0
        for k in range(1, lines + 1):
            for i in range(1, n + 1):
                for j in range(k - 1, i):
                    width = prefix[i] - prefix[j]
                    if width > limit or best[k - 1][j] == inf:
                        continue
                    # Even lines; a small bias for a longer first line (梯形, wide on top).
                    cost = best[k - 1][j] + (width - mean) ** 2 + (-0.01 * width if k == 1 else 0)
                    if cost < best[k][i] - 1e-9:
                        best[k][i] = cost
                        back[k][i] = j
        if best[lines][n] < inf:
            cuts = []
            i = n
            for k in range(lines, 0, -1):
                j = back[k][i]
                cuts.append("".join(tokens[j:i]))
                i = j
            return list(reversed(cuts))
    return [title]  # unreachable: one token per line always fits after _split_long
