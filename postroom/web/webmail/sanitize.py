"""HTML mail made safe to show: an nh3 allow-list, remote images held back, cid: inlined.

Purpose: the first of two independent layers between a hostile HTML mail and the user
(the second is the sandboxed iframe with its own CSP, ``security.frame_csp``). Either
layer alone must stop scripts and, while images are blocked, every remote request.

Invariants:
- Output holds only the tags and attributes listed here; ``script``, ``style``,
  ``title``, ``template`` and similar are removed with their content; no ``on*``
  attribute, no ``id`` (DOM clobbering), no ``form``, ``base``, ``meta``, ``link``,
  ``iframe``, ``object``, ``svg`` or ``math`` ever passes.
- Links keep only ``http``, ``https`` and ``mailto`` targets, open in a new browsing
  context and carry ``rel="noopener noreferrer"``.
- Images: ``cid:`` references become ``data:`` URIs of the message's own parts (so the
  frame needs no cookie and makes no request); ``data:`` images of raster types are
  kept; ``http(s)`` images are dropped unless ``allow_remote`` (and counted, for the
  "show images" bar); anything else is dropped.
- ``style`` attributes keep only listed properties, and any value mentioning ``url(``,
  ``expression``, ``@import``, ``behavior``, ``binding``, ``javascript`` or a CSS
  escape is dropped whole: CSS cannot fetch anything.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import nh3

TAGS = frozenset({
    "a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "big", "blockquote",
    "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "details",
    "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font", "footer", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "li", "main", "mark",
    "nav", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small",
    "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
})
#: Removed together with everything inside them.
CONTENT_TAGS = frozenset({"script", "style", "title", "template", "noscript", "textarea",
                          "select", "option", "iframe", "object", "embed", "svg", "math",
                          "xmp", "noembed", "noframes", "plaintext", "head", "applet"})
_COMMON = {"align", "valign", "dir", "lang", "title", "style", "width", "height", "bgcolor",
           "color", "border", "cellpadding", "cellspacing", "colspan", "rowspan", "nowrap",
           "face", "size", "class", "role", "abbr", "scope", "headers", "span", "start",
           "type", "value", "reversed", "datetime", "cite", "open"}
ATTRIBUTES = {
    "*": _COMMON,
    "a": {"href", "name", "hreflang"},
    "img": {"src", "alt", "hspace", "vspace"},
}
STYLE_PROPERTIES = frozenset({
    "color", "background-color", "font", "font-family", "font-size", "font-style",
    "font-weight", "font-variant", "text-align", "text-decoration", "text-indent",
    "text-transform", "line-height", "letter-spacing", "word-spacing", "white-space",
    "vertical-align", "direction", "margin", "margin-top", "margin-right", "margin-bottom",
    "margin-left", "padding", "padding-top", "padding-right", "padding-bottom",
    "padding-left", "border", "border-top", "border-right", "border-bottom", "border-left",
    "border-color", "border-style", "border-width", "border-collapse", "border-spacing",
    "border-radius", "width", "height", "max-width", "min-width", "max-height",
    "min-height", "display", "list-style-type", "table-layout", "word-break",
    "overflow-wrap", "float", "clear",
})
_BAD_CSS = re.compile(r"url\s*\(|expression|@import|behavior|binding|javascript|\\|image-set"
                      r"|image\s*\(", re.I)
_RASTER_DATA = re.compile(r"data:image/(?:png|gif|jpe?g|webp|bmp);base64,[A-Za-z0-9+/=\s]*\Z",
                          re.I)
_LINK_SCHEMES = ("http:", "https:", "mailto:")
MAX_INLINE_IMAGE = 5 * 1024 * 1024
MAX_INLINE_TOTAL = 15 * 1024 * 1024

FRAME_STYLE = (
    "html{color-scheme:light}body{margin:0;padding:12px 16px;font:15px/1.5 system-ui,"
    "-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330;overflow-wrap:anywhere}"
    "img{max-width:100%;height:auto}table{max-width:100%}pre{white-space:pre-wrap}"
    "blockquote{margin:0 0 0 .5em;padding-left:.8em;border-left:3px solid #c9cfdb;"
    "color:#4a5163}a{color:#1b5fc1}"
)


@dataclass
class InlineImages:
    """``cid:`` targets of the message: Content-ID (without <>) -> (type, bytes) loader."""

    loaders: dict[str, Callable[[], tuple[str, bytes]]] = field(default_factory=dict)
    used: int = 0

    def data_uri(self, cid: str) -> str | None:
        loader = self.loaders.get(cid.strip().strip("<>").lower())
        if loader is None:
            return None
        media_type, data = loader()
        if not media_type.startswith("image/") or "svg" in media_type:
            return None
        if len(data) > MAX_INLINE_IMAGE or self.used + len(data) > MAX_INLINE_TOTAL:
            return None
        self.used += len(data)
        return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass
class Sanitised:
    html: str
    blocked_images: int


def sanitise(html: str, *, allow_remote: bool = False,
             inline: InlineImages | None = None) -> Sanitised:
    """Clean ``html`` (a mail body) for the message frame; see the module invariants."""
    inline = inline or InlineImages()
    blocked = 0

    def attribute(tag: str, name: str, value: str) -> str | None:
        nonlocal blocked
        if name == "style":
            return None if _BAD_CSS.search(value) else value
        if tag == "a" and name == "href":
            return value if value.strip().lower().startswith(_LINK_SCHEMES) else None
        if tag == "img" and name == "src":
            src = value.strip()
            lowered = src.lower()
            if lowered.startswith("cid:"):
                return inline.data_uri(src[4:])
            if _RASTER_DATA.match(src):
                return src
            if lowered.startswith(("http:", "https:", "//")):
                if allow_remote and not lowered.startswith("//"):
                    return src
                blocked += 1
            return None
        return value

    cleaned = nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(CONTENT_TAGS),
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        attribute_filter=attribute,
        url_schemes={"http", "https", "mailto", "cid", "data"},
        filter_style_properties=set(STYLE_PROPERTIES),
        set_tag_attribute_values={"a": {"target": "_blank"}},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return Sanitised(cleaned, blocked)


def frame_document(body_html: str) -> str:
    """The whole document served into the iframe around an already sanitised body."""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer">'
        f"<style>{FRAME_STYLE}</style></head><body>{body_html}</body></html>"
    )
