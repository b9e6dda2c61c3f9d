"""One colour per meaning across every figure: the palette, in one place.

Okabe-Ito colours (safe for the common colour-vision deficiencies) and Paul Tol's muted ones for
categories beyond the four themes. Each colour has ONE meaning in all figures:

    categories   security blue, development bluish green, livelihood orange, supervision reddish
                 purple; a codebook's other categories take the free ones of `CATEGORY_PALETTE` (the
                 theme colours, Tol's muted, tab20's) in the order they come;
                 "other", "none" and anything not mapped: grey
    models       ink: black and greys, told apart by marker (filled or hollow), never by hue
    keyness      vermillion: key for the target; sky blue: key for the reference
    sequential   viridis for heatmaps; a missing cell is hatched light grey, never a colour of the map
"""
from __future__ import annotations

OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#999999",
             "black": "#000000"}
#: The four themes of THEMES.md, fixed whatever order a lexicon lists them in.
CATEGORY_COLOURS = {"security": OKABE_ITO["blue"], "development": OKABE_ITO["green"],
                    "livelihood": OKABE_ITO["orange"], "supervision": OKABE_ITO["purple"]}
THEME_COLOURS = {**CATEGORY_COLOURS, "other": OKABE_ITO["grey"], "none": OKABE_ITO["grey"]}
MARKERS = {"security": "o", "development": "s", "livelihood": "D", "supervision": "^"}
#: Colours given, in order, to the categories of a codebook without one of their own: the four theme
#: colours, then Paul Tol's muted ones (none of them used for another meaning), then tab20's.
CATEGORY_PALETTE = (tuple(CATEGORY_COLOURS.values())
                    + ("#332288", "#117733", "#882255", "#DDCC77", "#44AA99", "#AA4499", "#999933", "#661100")
                    + ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#31a354", "#756bb1"))
NOT_A_CATEGORY = OKABE_ITO["grey"]          # "other", "none", not mapped
CATEGORY_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*", "h", "p", "<", ">")
RESIDUAL = ("other", "none")
#: Topic and dictionary models: ink only (colour, marker, filled).
MODEL_STYLE = {"dictionary": ("#000000", "o", True), "gensim": ("#000000", "s", False),
               "sklearn": ("#555555", "D", False), "seeded": ("#000000", "^", True),
               "tomotopy": ("#555555", "v", True)}
KEYNESS_SIDES = {"target": OKABE_ITO["vermillion"], "reference": OKABE_ITO["sky"]}
NETWORK_RINGS = {"node": "#333333", "first": "#BBBBBB", "second": "#FFFFFF"}
SEQUENTIAL = "viridis"
MISSING = {"facecolor": "#EEEEEE", "hatch": "////", "edgecolor": "#BBBBBB"}
INK = "#000000"


def category_colours(categories) -> dict[str, str]:
    """Return a colour per category, and grey for "other" and "none".

    A default theme keeps its colour (`THEME_COLOURS`); the other categories take, in order, the
    colours of `CATEGORY_PALETTE` that no category present uses (cycling after the last).

    Examples
    --------
    >>> category_colours(["courts", "security"])["courts"]
    '#009E73'
    """
    return {**_assign(categories, CATEGORY_COLOURS, CATEGORY_PALETTE), "other": NOT_A_CATEGORY,
            "none": NOT_A_CATEGORY}


def category_markers(categories) -> dict[str, str]:
    """Return a marker per category (a second cue beside colour): a default theme keeps its own
    (`MARKERS`), the others take the free markers of `CATEGORY_MARKERS` in order (cycling)."""
    return _assign(categories, MARKERS, CATEGORY_MARKERS)


def _assign(categories, own: dict, pool) -> dict:
    """Return a style per category: its own (`own`) if it has one, else the next style of `pool`
    that no category of this figure owns (cycling); "other" and "none" are left out."""
    categories = [c for c in dict.fromkeys(categories) if c not in RESIDUAL]
    taken = {own[c] for c in categories if c in own}
    free = [v for v in pool if v not in taken]
    out, k = {}, 0
    for c in categories:
        if c in own:
            out[c] = own[c]
        else:
            out[c] = free[k % len(free)]
            k += 1
    return out


def category_label(name: str, names: dict | None = None) -> str:
    """Return the display name of a category: `names[name]` where given, else the lexicon's own
    name with underscores as spaces (never an abbreviation)."""
    if names and name in names:
        return str(names[name])
    return str(name).replace("_", " ")
