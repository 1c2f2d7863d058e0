"""Synthetic scans of filled forms, for the scan benchmark and tests (seeded, repeatable).

    from benchmarks.scangen import Scenario, generate
    batch = generate(Scenario(forms=4, dpi=300, profile="office", seed=7), Path("/tmp/scans"))

What it does, per batch:

1. makes ``forms`` records of seeded Dutch text (sentences recombined from the fictional
   samples, names with Dutch, Turkish and Polish letters, school-year dates) and fills them
   with :func:`oppforms.batch.fill_many` into ``out/issued`` (the registry ``--issued`` reads);
2. renders every page with ``pdftoppm`` at ``dpi`` (300 or 200);
3. signs some signature boxes (drawn pen strokes) and leaves the others empty with dust;
   adds handwriting (scribbled words of 3-6 mm) to some pages, in margins and in boxes;
4. degrades each page by a profile: ``clean``; ``office`` (±3° skew, ±3 % scale, shifts,
   blur, noise, JPEG); ``harsh`` (more of all, plus copier streaks and grey ground);
   ``codes-unreadable`` (office, with every QR code on every page painted out and the
   corner marks left: a staple, a pen stroke or a copy of a copy over each code);
5. assembles one scanner PDF (one JPEG image per page): pages shuffled, some turned 180°,
   one page missing, one scanned twice, blank backs with faint mirrored show-through; all
   forms in one PDF. The ``phone`` profile instead photographs each page on a table
   (:func:`photograph`: background, perspective, light from one side, some upside down)
   and writes one 12 MP JPEG per page, shuffled, into a folder (``Batch.pdf`` is then
   that folder, ``Batch.files`` the photos).

The truth (which page is which, what was signed, where the hand wrote) comes back in
:class:`Batch`. Pupil data is made up.
"""

from __future__ import annotations

import io
import json
import math
import random
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from oppforms.batch import fill_many
from oppforms.geometry import PdfRect, mm
from oppforms.issued import read_issued
from oppforms.spec import FormSpec, current_spec

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "opp-leerlingen.json"

FIRST = ["Zoë", "Noël", "Anaïs", "Emre", "Yusuf", "Ayşe", "İlayda", "Łukasz", "Daan", "Sanne", "Mees", "Fleur",
         "Bram", "Lotte", "Sem", "Julia", "Thijs", "Eva", "Mohamed", "Fatma", "Jesse", "Iris", "Ruben", "Noor"]
LAST = ["van der Berg", "de Vries", "Çelik", "Şahin", "Yıldız", "Kaya", "Wiśniewski", "Jansen", "de Jong",
        "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos", "Vos", "Peters", "Hendriks", "Dekker"]
STAFF = ["mevr. J. de Wit", "dhr. P. Verbeek", "mevr. M. Hendriks", "dhr. K. Öztürk", "mevr. A. Kowalska",
         "dhr. R. van Dijk", "mevr. S. el Amrani"]


@dataclass(frozen=True)
class Profile:
    name: str
    skew_deg: float
    scale: float
    shift_mm: float
    blur: float
    noise: float
    jpeg: int
    streak: float  # chance of a copier streak per page
    ground: int  # grey level of the paper (255 white)
    photo: bool = False  # a phone photo per page (see :func:`photograph`) instead of a scanner PDF
    codes: bool = True  # False: every QR code painted out (the corner marks stay)


PROFILES = {
    "clean": Profile("clean", 0.0, 0.0, 0.0, 0.0, 0.0, 95, 0.0, 255),
    "office": Profile("office", 3.0, 0.03, 4.0, 0.8, 6.0, 75, 0.05, 245),
    "harsh": Profile("harsh", 4.0, 0.04, 6.0, 1.3, 12.0, 55, 0.3, 225),
    # the sheet on a table, photographed: background, perspective, light from one side,
    # some held upside down; 12 MP JPEG, one file per page (see photograph())
    "phone": Profile("phone", 0.0, 0.0, 0.0, 0.6, 4.0, 85, 0.0, 250, photo=True),
    "codes-unreadable": Profile("codes-unreadable", 3.0, 0.03, 4.0, 0.8, 6.0, 75, 0.05, 245, codes=False),
}
#: A 12 megapixel phone camera, held upright (width, height).
PHOTO_SIZE = (3024, 4032)


@dataclass(frozen=True)
class Scenario:
    forms: int = 4
    dpi: int = 300
    profile: str = "office"
    seed: int = 1
    sign_share: float = 0.5  # of signature boxes with a date filled in
    handwriting_pages: float = 0.25  # share of pages with a handwritten mark
    turned: float = 0.2  # share of pages turned 180°
    blank_backs: float = 0.3  # share of pages followed by a blank back
    missing: bool = True
    duplicate: bool = True
    long_text: bool = True  # some text long enough to continue on an added page
    long_every: int = 3  # every n-th form (the second of each n) has long text
    long_fields: int = 1  # how many of its fields are long (doelen.school, then hulpvraag.school)


@dataclass
class Mark:
    document: str
    page_no: int
    rect: PdfRect  # PDF points
    field: str | None


@dataclass
class FormTruth:
    document: str
    file: str
    pages: int
    values: dict[str, str]
    signed: dict[str, bool]
    missing: list[int] = field(default_factory=list)
    duplicated: list[int] = field(default_factory=list)


@dataclass
class PageTruth:
    document: str  # "" for a blank back
    page_no: int
    turned: bool = False
    streak: bool = False


@dataclass
class Batch:
    scenario: Scenario
    pdf: Path
    issued: Path
    forms: dict[str, FormTruth]
    pages: list[PageTruth]
    marks: list[Mark]
    files: list[Path] = field(default_factory=list)  # the scanned files: the PDF, or one photo per page


# ---------------------------------------------------------------------------------------
# Records


def _sentences() -> dict[str, list[str]]:
    data = json.loads(SAMPLES.read_text(encoding="utf-8"))
    pool: dict[str, list[str]] = {}
    for rec in data:
        for k, v in rec.items():
            if not isinstance(v, str) or not v or k.endswith(".datum"):
                continue
            parts = [p.strip() for p in re.split(r"(?<=[a-zë\)][.!?])\s+(?=[A-Z])|\n", v) if p.strip()]
            pool.setdefault(k, []).extend(parts)
    return pool


LONG_FIELDS = ("doelen.school", "hulpvraag.school")


def make_records(
    n: int, rng: random.Random, spec: FormSpec, *, long_text: bool, long_every: int = 3, long_fields: int = 1
) -> list[dict[str, str]]:
    pool = _sentences()
    out = []
    for i in range(n):
        rec: dict[str, str] = {}
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        rec["leerling.naam"] = name
        rec["leerling.nummer"] = f"{rng.randrange(0, 10**6):06d}"
        rec["leerling.klas"] = f"{rng.randint(1, 6)}{rng.choice('HVMAB')}{rng.randint(1, 4)}"
        rec["schooljaar"] = "2026-2027"
        rec["begeleiding.mentor"] = rng.choice(STAFF)
        rec["begeleiding.zorgcoordinator"] = rng.choice(STAFF)
        for f in spec.value_fields:
            if f.name in rec or f.kind.value == "date" or not f.multiline:
                continue
            sentences = pool.get(f.name) or pool["hulpvraag.school"]
            if rng.random() < 0.12:
                continue  # left empty
            k = rng.randint(1, 2) if f.name.startswith("acties.") else rng.randint(1, 4)
            chosen = rng.sample(sentences, min(k, len(sentences)))
            text = (" " if rng.random() < 0.6 else "\n").join(chosen)
            text = re.sub(r"\b(Zoë|Noël|Anaïs|Emre|Yusuf|Ayşe|İlayda|Łukasz|Daan|Sanne)\b", first, text)
            rec[f.name] = text[: f.max_length]
        if long_text and i % long_every == min(1, long_every - 1):
            for name in LONG_FIELDS[:long_fields]:
                big = " ".join(rng.sample(pool["hulpvraag.school"], min(12, len(pool["hulpvraag.school"]))))
                rec[name] = (big + " " + big)[:1900]
            # two action cells a little too long: sections that share a continuation page
            for name in ("acties.leerling.uitleg", "acties.school.nodig"):
                extra = " ".join(pool.get(name) or pool["hulpvraag.school"])[:480].rsplit(" ", 1)[0]
                rec[name] = (rec.get(name, "") + " " + extra).strip()
        for who in ("leerling", "opvoeders", "zorgcoordinator"):
            for moment, month in (("start", 9), ("tussen", 1), ("eind", 4)):
                if rng.random() < 0.7:
                    year = 2026 if month >= 8 else 2027
                    rec[f"akkoord.{who}.{moment}.datum"] = f"{year}-{month:02d}-{rng.randint(1, 28):02d}"
        out.append(rec)
    return out


# ---------------------------------------------------------------------------------------
# Drawing on pages


def _px(rect: PdfRect, spec: FormSpec, dpi: int) -> tuple[int, int, int, int]:
    s = dpi / 72.0
    return round(rect.x0 * s), round((spec.page_height - rect.y1) * s), round(rect.x1 * s), round((spec.page_height - rect.y0) * s)


def draw_signature(img: np.ndarray, rect: PdfRect, spec: FormSpec, dpi: int, rng: random.Random) -> None:
    x0, y0, x1, y1 = _px(rect.inset(6), spec, dpi)
    w, h = x1 - x0, y1 - y0
    pts = []
    n = rng.randint(60, 120)
    cx = x0 + w * rng.uniform(0.1, 0.25)
    cy = y0 + h * rng.uniform(0.4, 0.6)
    span = w * rng.uniform(0.45, 0.75)
    amp = h * rng.uniform(0.12, 0.3)
    f1, f2 = rng.uniform(3, 8), rng.uniform(0.5, 2)
    for k in range(n):
        t = k / (n - 1)
        x = cx + span * t + amp * 0.3 * math.sin(2 * math.pi * f1 * t * 1.7)
        y = cy + amp * math.sin(2 * math.pi * f1 * t) * (0.6 + 0.4 * math.sin(2 * math.pi * f2 * t))
        pts.append((int(x), int(y)))
    thick = max(2, round(dpi / 100))
    cv2.polylines(img, [np.array(pts, np.int32)], False, int(rng.randint(10, 70)), thick, cv2.LINE_AA)
    if rng.random() < 0.6:  # an underline or a flourish
        yy = int(cy + amp * 1.2)
        cv2.line(img, (int(cx), yy), (int(cx + span * rng.uniform(0.5, 1.0)), yy + rng.randint(-8, 8)), 40, thick, cv2.LINE_AA)


def draw_dust(img: np.ndarray, rect: PdfRect, spec: FormSpec, dpi: int, rng: random.Random) -> None:
    x0, y0, x1, y1 = _px(rect.inset(4), spec, dpi)
    for _ in range(rng.randint(0, 6)):
        r = rng.choice([0, 1, 1, 2]) * dpi // 300
        cv2.circle(img, (rng.randint(x0, x1), rng.randint(y0, y1)), max(r, 0), rng.randint(60, 160), -1)


def draw_handwriting(img: np.ndarray, cx: int, cy: int, height_px: int, rng: random.Random) -> tuple[int, int, int, int]:
    """A scribbled word of ``height_px`` letters; returns its pixel box."""
    letters = rng.randint(3, 9)
    pts = []
    x = cx
    step = height_px * 0.7
    for k in range(letters * 6):
        t = k / 6
        pts.append((int(x + step * t), int(cy + height_px / 2 * math.sin(t * math.pi * rng.uniform(1.6, 2.4)) + rng.uniform(-2, 2))))
    thick = max(2, height_px // 12)
    arr = np.array(pts, np.int32)
    cv2.polylines(img, [arr], False, rng.randint(20, 80), thick, cv2.LINE_AA)
    return int(arr[:, 0].min()) - thick, int(arr[:, 1].min()) - thick, int(arr[:, 0].max()) + thick, int(arr[:, 1].max()) + thick


def add_handwriting(img: np.ndarray, spec: FormSpec, dpi: int, page_no: int, rng: random.Random) -> tuple[PdfRect, str | None]:
    s = dpi / 72.0
    height = int(rng.uniform(3.0, 6.0) / 25.4 * dpi)
    widgets = [(f, w) for f, w in spec.widgets_on(page_no) if not f.is_signature] if page_no <= spec.page_count else []
    where = rng.random()
    name: str | None = None
    if where < 0.5 or not widgets:
        # in a margin: left or right of the content, or below it
        c = spec.marks.content
        side = rng.choice(["left", "right", "bottom"])
        if side == "left":
            cx, cy = int(mm(2) * s), int((spec.page_height - rng.uniform(c.y0 + 80, c.y1 - 80)) * s)
        elif side == "right":
            cx, cy = int((c.x1 + 2) * s), int((spec.page_height - rng.uniform(c.y0 + 80, c.y1 - 80)) * s)
        else:
            cx, cy = int(rng.uniform(c.x0 + 120, c.x1 - 150) * s), int((spec.page_height - c.y0 + 12) * s)
    else:
        f, w = rng.choice(widgets)
        name = f.name
        cx = int(rng.uniform(w.rect.x0 + 4, max(w.rect.x0 + 5, w.rect.x1 - 60)) * s)
        cy = int((spec.page_height - rng.uniform(w.rect.y0 + 6, w.rect.y1 - 6)) * s)
    x0, y0, x1, y1 = draw_handwriting(img, cx, cy, height, rng)
    rect = PdfRect(x0 / s, spec.page_height - y1 / s, x1 / s, spec.page_height - y0 / s)
    return rect, name


def paint_out_codes(img: np.ndarray, spec: FormSpec, dpi: int) -> None:
    """Every QR code of the page painted out (a little beyond its quiet zone); the corner
    marks, header and footer stay."""
    for rect in spec.marks.qr_rects():
        x0, y0, x1, y1 = _px(rect.inset(-3), spec, dpi)
        img[max(0, y0) : y1, max(0, x0) : x1] = 255


def degrade(img: np.ndarray, p: Profile, dpi: int, rng: random.Random, *, streak: bool) -> np.ndarray:
    h, w = img.shape
    out: Any = img.astype(np.float32)
    if p.ground < 255:
        out = p.ground * (out / 255.0)
    if p.skew_deg or p.scale or p.shift_mm:
        angle = rng.uniform(-p.skew_deg, p.skew_deg)
        scale = 1 + rng.uniform(-p.scale, p.scale)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
        shift = p.shift_mm / 25.4 * dpi
        m[0, 2] += rng.uniform(-shift, shift)
        m[1, 2] += rng.uniform(-shift, shift)
        out = cv2.warpAffine(out, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=float(p.ground))
    if p.blur:
        out = cv2.GaussianBlur(out, (0, 0), p.blur * dpi / 300)
    if p.noise:
        out = out + np.random.default_rng(rng.randrange(2**32)).normal(0, p.noise, out.shape).astype(np.float32)
    if streak:
        x = rng.randint(w // 6, w * 5 // 6)
        out[:, x : x + max(2, dpi // 150)] *= 0.35
    return np.asarray(np.clip(out, 0, 255), dtype=np.uint8)


def photograph(
    page: np.ndarray, p: Profile, rng: random.Random, *, size: tuple[int, int] = PHOTO_SIZE, upside_down: bool = False
) -> np.ndarray:
    """A phone photo (RGB, ``size`` = width x height) of ``page`` (grey, rendered upright)
    lying on a table: wood-grey background with grain, the sheet filling 75-90 % of the
    frame's height, in perspective (the camera tilted up to ±12° either way and turned up
    to ±6°), light falling off from one side (down to 55-70 %) with a soft vignette,
    optionally upside down; then blur and sensor noise. The JPEG is written by the caller."""
    width, height = size
    h, w = page.shape
    fill = rng.uniform(0.75, 0.9)
    ph = height * fill
    pw = ph * w / h
    cx, cy = width / 2 + rng.uniform(-0.04, 0.04) * width, height / 2 + rng.uniform(-0.03, 0.03) * height
    # perspective: one edge nearer the camera is wider (tilt), plus a small turn
    tilt_x, tilt_y = rng.uniform(-0.12, 0.12), rng.uniform(-0.12, 0.12)
    corners = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        x = sx * pw / 2 * (1 + tilt_y * sy * 0.5)
        y = sy * ph / 2 * (1 + tilt_x * sx * 0.5)
        corners.append((x, y))
    angle = math.radians(rng.uniform(-6, 6))
    ca, sa = math.cos(angle), math.sin(angle)
    dst = np.array([(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in corners], np.float32)
    src = np.array([(0, 0), (w - 1, 0), (w - 1, h - 1), (0, h - 1)], np.float32)
    if upside_down:
        src = src[[2, 3, 0, 1]]
    m = cv2.getPerspectiveTransform(src, dst)
    gen = np.random.default_rng(rng.randrange(2**32))
    # the table: a mid grey-brown with grain along x, and some blotches
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    grain = 12 * np.sin(yy / rng.uniform(9, 20) + 3 * np.sin(xx / 300.0)) + gen.normal(0, 6, (height, width))
    table = np.clip(rng.uniform(95, 140) + grain, 0, 255).astype(np.float32)
    sheet = cv2.warpPerspective(page.astype(np.float32) * (p.ground / 255.0), m, (width, height), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0)
    mask = cv2.warpPerspective(np.ones_like(page, np.float32), m, (width, height), flags=cv2.INTER_LINEAR)
    img = sheet * mask + table * (1 - mask)
    # light from one side, a vignette, a soft shadow at the far edge
    side = rng.choice(["left", "right", "top", "bottom"])
    t = {"left": xx / width, "right": 1 - xx / width, "top": yy / height, "bottom": 1 - yy / height}[side]
    low = rng.uniform(0.55, 0.7)
    light = low + (1 - low) * (1 - t) ** 1.3
    r2 = ((xx - width / 2) / width) ** 2 + ((yy - height / 2) / height) ** 2
    light *= 1 - 0.25 * r2
    img = img * light
    img = cv2.GaussianBlur(img, (0, 0), max(p.blur, 0.3))
    img = img + gen.normal(0, p.noise, img.shape).astype(np.float32)
    grey = np.clip(img, 0, 255).astype(np.uint8)
    # a warm indoor white balance: R a little up, B a little down
    rgb = np.stack([np.clip(grey * 1.04, 0, 255), grey, grey * 0.9], axis=-1).astype(np.uint8)
    return rgb


def write_photo(image: np.ndarray, path: Path, quality: int) -> None:
    """A phone's JPEG: RGB, ``quality``, no resolution worth trusting (72 dpi, as phones write)."""
    Image.fromarray(image).save(path, "JPEG", quality=quality, dpi=(72, 72))


def blank_back(front: np.ndarray, p: Profile, dpi: int, rng: random.Random) -> np.ndarray:
    """The back of a sheet: paper with the front showing through, mirrored and faint."""
    ghost: Any = cv2.flip(front, 1).astype(np.float32)
    ghost = cv2.GaussianBlur(ghost, (0, 0), 2.0 * dpi / 300)
    back = 255.0 - (255.0 - ghost) * rng.uniform(0.06, 0.14)
    return degrade(np.clip(back, 0, 255).astype(np.uint8), p, dpi, rng, streak=False)


def render(pdf: Path, dpi: int) -> list[np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), f"{tmp}/p"], check=True, timeout=300)
        return [np.asarray(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE), dtype=np.uint8) for p in sorted(Path(tmp).glob("p-*.pgm"), key=lambda q: int(q.stem.split("-")[-1]))]


def write_pdf(pages: list[np.ndarray], path: Path, dpi: int, quality: int) -> None:
    """A scanner-like PDF: one JPEG image per page, at ``dpi``."""
    images = [Image.fromarray(p) for p in pages]
    images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi), quality=quality)


# ---------------------------------------------------------------------------------------
# The batch


def generate(
    scenario: Scenario, out: Path, *, spec: FormSpec | None = None, records: list[dict[str, str]] | None = None
) -> Batch:
    """Fill, print, sign, scribble, degrade and shuffle (see the module's description);
    ``records`` replaces the generated ones (``scenario.forms`` is then ignored)."""
    spec = spec or current_spec()
    rng = random.Random(scenario.seed)
    profile = PROFILES[scenario.profile]
    out.mkdir(parents=True, exist_ok=True)
    issued = out / "issued"
    if records is None:
        records = make_records(
            scenario.forms, rng, spec, long_text=scenario.long_text, long_every=scenario.long_every, long_fields=scenario.long_fields
        )
    results = list(fill_many(records, issued, spec=spec, identity_by_row=True))
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise RuntimeError(f"filling failed: {failed[0].reason}")
    entries = {e["document"]: e for e in read_issued(issued)}
    forms: dict[str, FormTruth] = {}
    sheets: list[tuple[PageTruth, np.ndarray]] = []
    marks: list[Mark] = []
    for res in results:
        entry = entries[res.document]
        values = {str(k): str(v) for k, v in dict(entry["values"]).items()}  # type: ignore[call-overload]
        pages = render(issued / res.file, scenario.dpi)
        signed: dict[str, bool] = {}
        truth = FormTruth(res.document, res.file, len(pages), values, signed)
        forms[res.document] = truth
        for page_no, img in enumerate(pages, 1):
            img = img.copy()
            for f, w in spec.widgets_on(page_no) if page_no <= spec.page_count else ():
                if not f.is_signature:
                    continue
                date = values.get(f.name.replace(".handtekening", ".datum"), "")
                sign = bool(date) and rng.random() < scenario.sign_share * 1.6
                signed[f.name] = sign
                if sign:
                    draw_signature(img, w.rect, spec, scenario.dpi, rng)
                else:
                    draw_dust(img, w.rect, spec, scenario.dpi, rng)
            if rng.random() < scenario.handwriting_pages:
                rect, name = add_handwriting(img, spec, scenario.dpi, page_no, rng)
                marks.append(Mark(res.document, page_no, rect, name))
            if not profile.codes:
                paint_out_codes(img, spec, scenario.dpi)
            sheets.append((PageTruth(res.document, page_no), img))
        for f in spec.signature_fields:
            signed.setdefault(f.name, False)
    # one page missing, one twice
    order = list(range(len(sheets)))
    if scenario.missing and len(sheets) > 3:
        k = rng.randrange(len(sheets))
        t = sheets[k][0]
        forms[t.document].missing.append(t.page_no)
        marks = [m for m in marks if not (m.document == t.document and m.page_no == t.page_no)]
        order.remove(k)
    if scenario.duplicate and len(order) > 2:
        k = rng.choice(order)
        order.append(k)
        forms[sheets[k][0].document].duplicated.append(sheets[k][0].page_no)
    rng.shuffle(order)
    if profile.photo:
        return _photos(scenario, profile, out, issued, forms, sheets, order, marks, rng)
    final: list[np.ndarray] = []
    truths: list[PageTruth] = []
    for k in order:
        t, img = sheets[k]
        turned = rng.random() < scenario.turned
        streak = rng.random() < profile.streak
        page = degrade(img, profile, scenario.dpi, rng, streak=streak)
        if turned:
            page = np.ascontiguousarray(np.rot90(page, 2))
        final.append(page)
        truths.append(PageTruth(t.document, t.page_no, turned, streak))
        if rng.random() < scenario.blank_backs:
            final.append(blank_back(img, profile, scenario.dpi, rng))
            truths.append(PageTruth("", 0))
    pdf = out / f"scan-{scenario.profile}-{scenario.dpi}.pdf"
    write_pdf(final, pdf, scenario.dpi, profile.jpeg)
    return Batch(scenario, pdf, issued, forms, truths, marks, [pdf])


def _photos(
    scenario: Scenario,
    profile: Profile,
    out: Path,
    issued: Path,
    forms: dict[str, FormTruth],
    sheets: list[tuple[PageTruth, np.ndarray]],
    order: list[int],
    marks: list[Mark],
    rng: random.Random,
) -> Batch:
    """One phone photo (JPEG) per page, in the shuffled ``order``, named as a phone names
    them (IMG_1001.jpg …, so the folder's order is the shuffled one); no blank backs."""
    folder = out / f"photos-{scenario.dpi}"
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    truths: list[PageTruth] = []
    for n, k in enumerate(order):
        t, img = sheets[k]
        upside_down = rng.random() < scenario.turned
        photo = photograph(img, profile, rng, upside_down=upside_down)
        path = folder / f"IMG_{1001 + n}.jpg"
        write_photo(photo, path, profile.jpeg)
        files.append(path)
        truths.append(PageTruth(t.document, t.page_no, upside_down))
    return Batch(scenario, folder, issued, forms, truths, marks, files)


if __name__ == "__main__":  # pragma: no cover - a quick look
    import sys

    b = generate(Scenario(forms=int(sys.argv[1]) if len(sys.argv) > 1 else 2), Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/scangen"))
    print(b.pdf, len(b.pages), "pages;", len(b.marks), "marks")
