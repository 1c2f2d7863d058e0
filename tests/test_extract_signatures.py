"""Signatures on returned forms: digital ones, drawn or stamped ones, and none.

Digital signatures are made with pyHanko (a test-only dependency) and a throw-away
self-signed certificate for a fictional signer.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from typing import Any

import pikepdf
import pytest

from oppforms.extract.acroform import field_tree
from oppforms.records import FileStatus
from oppforms.spec import FormSpec

from .test_extract_live import SAMPLES, edit, expected, fill_pdf, only_record, read

SIGNER = "J. Testouder"


@pytest.fixture(scope="module")
def form() -> bytes:
    return fill_pdf(SAMPLES[0])


@pytest.fixture(scope="module")
def signer() -> Any:
    pytest.importorskip("pyhanko", reason="pyHanko (test-only) makes the digitally signed forms")
    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.sign import signers

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SIGNER)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=keys.PrivateKeyInfo.load(der_key),
        cert_registry=None,
    )


def sign(data: bytes, field: str, signer: Any) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    return signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name=field), signer=signer).getvalue()


def change_incrementally(data: bytes, values: dict[str, str]) -> bytes:
    """A later revision appended to the file, as a viewer saves a signed form."""
    from pypdf import PdfWriter

    writer = PdfWriter(io.BytesIO(data), incremental=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for page in writer.pages:
            writer.update_page_form_field_values(page, values, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(data)
    return out.getvalue()


# ---------------------------------------------------------------------------------------
# Digital


def test_a_digital_signature_marks_its_box_with_the_signer_and_the_time(form: bytes, signer: Any) -> None:
    result = read(sign(form, "akkoord.opvoeders.start.handtekening", signer))
    got = only_record(result)
    assert result.status is FileStatus.OK
    assert got.signed == {name: name == "akkoord.opvoeders.start.handtekening" for name in got.signed}
    (notice,) = got.warnings
    assert notice.startswith(f"akkoord.opvoeders.start.handtekening: digitally signed by {SIGNER} on 20")
    assert result.notices == 1
    assert got.fields == expected(SAMPLES[0])


def test_signing_one_box_after_another_is_not_a_change_to_the_form(form: bytes, signer: Any) -> None:
    first = sign(form, "akkoord.leerling.start.handtekening", signer)
    both = sign(first, "akkoord.opvoeders.start.handtekening", signer)
    result = read(both)
    got = only_record(result)
    assert result.status is FileStatus.OK
    assert got.signed["akkoord.leerling.start.handtekening"] and got.signed["akkoord.opvoeders.start.handtekening"]
    assert not got.review


def test_values_changed_after_signing_are_handed_to_a_person(form: bytes, signer: Any) -> None:
    signed = sign(form, "akkoord.leerling.start.handtekening", signer)
    result = read(change_incrementally(signed, {"leerling.klas": "9Z9"}))
    got = only_record(result)
    assert got.fields["leerling.klas"] == "9Z9"  # the value as it is now
    assert got.signed["akkoord.leerling.start.handtekening"] is True
    assert result.status is FileStatus.REVIEW
    (item,) = got.review
    assert item.field == "akkoord.leerling.start.handtekening"
    assert "values were changed after this digital signature" in item.reason


def test_a_signature_dictionary_with_a_broken_byte_range_proves_nothing(form: bytes) -> None:
    """A /Sig value made by hand: the signer's /Name and /M are read, and its byte range,
    which covers no real signature, is reported."""

    def change(pdf: pikepdf.Pdf) -> None:
        node = field_tree(pdf).fields["akkoord.zorgcoordinator.eind.handtekening"].node
        node[pikepdf.Name.V] = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Sig,
                Filter=pikepdf.Name("/Adobe.PPKLite"),
                Name=pikepdf.String("M. Fictief"),
                M=pikepdf.String("D:20270115093000+01'00'"),
                ByteRange=pikepdf.Array([0, 100, 50, 10]),
                Contents=pikepdf.String(b"\x00" * 64),
            )
        )

    got = only_record(read(edit(form, change)))
    assert got.signed["akkoord.zorgcoordinator.eind.handtekening"] is True
    assert any("digitally signed by M. Fictief on 2027-01-15T09:30:00+01:00" in w for w in got.warnings)
    assert any("byte range is broken" in r.reason for r in got.review)


# ---------------------------------------------------------------------------------------
# Drawn, stamped, typed


def _annotate(form: bytes, spec: FormSpec, field: str, subtype: str, **extra: Any) -> bytes:
    f = spec.field(field)
    r = f.rect

    def change(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[f.page_no - 1]
        annot = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name(subtype),
            Rect=pikepdf.Array([r.x0 + 8, r.y0 + 10, r.x1 - 8, r.y0 + 50]),
            F=4,
            **extra,
        )
        page.obj.Annots.append(pdf.make_indirect(annot))

    return edit(form, change)


def test_an_ink_annotation_over_a_signature_box_signs_it(form: bytes, spec: FormSpec) -> None:
    r = spec.field("akkoord.leerling.tussen.handtekening").rect
    ink = pikepdf.Array([pikepdf.Array([r.x0 + 10, r.y0 + 20, r.x0 + 40, r.y0 + 45, r.x0 + 70, r.y0 + 15])])
    got = only_record(read(_annotate(form, spec, "akkoord.leerling.tussen.handtekening", "/Ink", InkList=ink)))
    assert [n for n, v in got.signed.items() if v] == ["akkoord.leerling.tussen.handtekening"]
    assert not got.review


def test_a_stamp_with_a_signature_image_signs_its_box(form: bytes, spec: FormSpec) -> None:
    def stamp(pdf: pikepdf.Pdf) -> None:
        f = spec.field("akkoord.zorgcoordinator.start.handtekening")
        image = pikepdf.Stream(pdf, bytes(range(64)) * 3, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                               Width=8, Height=8, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
        appearance = pikepdf.Stream(pdf, b"q 60 0 0 30 0 0 cm /Im0 Do Q", Type=pikepdf.Name.XObject,
                                    Subtype=pikepdf.Name.Form, BBox=pikepdf.Array([0, 0, 60, 30]),
                                    Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)))
        r = f.rect
        annot = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Stamp, F=4,
                                   Rect=pikepdf.Array([r.x0 + 10, r.y0 + 10, r.x0 + 70, r.y0 + 40]),
                                   AP=pikepdf.Dictionary(N=appearance))
        pdf.pages[f.page_no - 1].obj.Annots.append(pdf.make_indirect(annot))

    got = only_record(read(edit(form, stamp)))
    assert got.signed["akkoord.zorgcoordinator.start.handtekening"] is True


def test_text_typed_over_a_signature_box_is_no_signature_but_goes_to_review(form: bytes, spec: FormSpec) -> None:
    data = _annotate(form, spec, "akkoord.opvoeders.eind.handtekening", "/FreeText", Contents=pikepdf.String("getekend"))
    result = read(data)
    got = only_record(result)
    assert got.signed["akkoord.opvoeders.eind.handtekening"] is False
    (item,) = got.review
    assert item.field == "akkoord.opvoeders.eind.handtekening" and item.page == 3
    assert "getekend" not in item.reason
    assert result.status is FileStatus.REVIEW


def test_ink_over_a_value_box_means_something_was_written_on_the_form(form: bytes, spec: FormSpec) -> None:
    got = only_record(read(_annotate(form, spec, "doelen.school", "/Ink", InkList=pikepdf.Array())))
    assert [r.field for r in got.review] == ["doelen.school"]
    assert not any(got.signed.values())


def test_a_shape_drawn_into_the_page_inside_a_box_signs_it(form: bytes, spec: FormSpec) -> None:
    """What "Fill & Sign" tools that draw into the page itself leave behind."""
    r = spec.field("akkoord.opvoeders.tussen.handtekening").rect
    x, y = r.x0 + 10, r.y0 + 20
    path = f"q 0 0 0.6 RG 1.2 w {x} {y} m {x + 25} {y + 30} {x + 45} {y - 10} {x + 75} {y + 12} c S Q".encode()

    def change(pdf: pikepdf.Pdf) -> None:
        pdf.pages[2].contents_add(pikepdf.Stream(pdf, path))

    got = only_record(read(edit(form, change)))
    assert [n for n, v in got.signed.items() if v] == ["akkoord.opvoeders.tussen.handtekening"]


def test_a_signature_field_whose_appearance_draws_a_signature_is_signed(form: bytes, spec: FormSpec) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        node = field_tree(pdf).fields["akkoord.leerling.eind.handtekening"].node
        node[pikepdf.Name.AP] = pikepdf.Dictionary(
            N=pikepdf.Stream(pdf, b"0 0 1 RG 2 w 5 5 m 40 40 l 80 10 l S", Type=pikepdf.Name.XObject,
                             Subtype=pikepdf.Name.Form, BBox=pikepdf.Array([0, 0, 119, 97]))
        )

    got = only_record(read(edit(form, change)))
    assert got.signed["akkoord.leerling.eind.handtekening"] is True


def test_an_unsigned_form_has_every_box_unsigned(form: bytes) -> None:
    got = only_record(read(form))
    assert got.signed and not any(got.signed.values())


def test_a_flattened_form_signed_digitally_in_a_box_is_signed_there(signer: Any, spec: FormSpec) -> None:
    """The school flattens, a parent signs with a visible signature drawn on a box."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    box = spec.field("akkoord.opvoeders.eind.handtekening")
    r = box.rect
    writer = IncrementalPdfFileWriter(io.BytesIO(fill_pdf(SAMPLES[0], flatten=True)))
    data = signers.sign_pdf(
        writer,
        signers.PdfSignatureMetadata(field_name="Ouder"),
        signer=signer,
        new_field_spec=fields.SigFieldSpec(
            "Ouder", on_page=box.page_no - 1, box=(int(r.x0) + 5, int(r.y0) + 5, int(r.x1) - 5, int(r.y1) - 5)
        ),
    ).getvalue()
    result = read(data)
    got = only_record(result)
    assert got.method == "text"
    assert [n for n, v in got.signed.items() if v] == ["akkoord.opvoeders.eind.handtekening"]
    assert any(f"digitally signed by {SIGNER}" in w for w in got.warnings)
    assert result.status is FileStatus.OK
    assert all(got.fields[k].split() == v.split() for k, v in expected(SAMPLES[0]).items())
