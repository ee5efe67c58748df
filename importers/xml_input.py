"""XML from uploads, read safely: entity declarations are refused, so nothing expands without bound and no
other file or address is read (defusedxml over the standard parser)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring


class XmlRefused(ValueError):
    """XML that is not well-formed (the message names the line) or declares entities."""


def read_xml(data: bytes | str) -> ET.Element:
    """The root element of an XML document; XmlRefused says why it cannot be read."""
    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except ET.ParseError as exc:
        raise XmlRefused(f"not well-formed XML: {exc}") from None
    except LookupError as exc:  # the XML declaration names an encoding Python does not know
        raise XmlRefused(f"line 1: the XML declaration names an {exc}") from None
    except DefusedXmlException as exc:
        entity = getattr(exc, "name", None) or getattr(exc, "sysid", None) or ""
        raise XmlRefused(f"declares the XML entity {entity!r}: entity declarations are refused (they can expand "
                         "without bound or read other files); write the text out in full") from None
