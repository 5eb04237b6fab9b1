"""Documents without PHI: business-to-business invoices, product pages, order JSON, and web-server logs (whose
visitor IP addresses are the only personal data, annotated as such)."""

from __future__ import annotations

from phileak.lab.corpus.builder import DocBuilder, Text
from phileak.lab.corpus.kinds.common import C, Context, decimal, numeric_date
from phileak.lab.corpus.model import Kind, LabelledDoc

_PRODUCTS = (
    ("Stainless steel water bottle, 750 ml", "Gourde en acier inoxydable, 750 ml"),
    ("Hiking backpack 30 L", "Sac à dos de randonnée 30 L"),
    ("Cast aluminium frying pan, 28 cm", "Poêle en fonte d'aluminium, 28 cm"),
    ("LED desk lamp, 9 W", "Lampe de bureau LED, 9 W"),
    ("Paperback notebook, 96 pages", "Carnet broché, 96 pages"),
    ("Wool socks, size 42-45", "Chaussettes en laine, taille 42-45"),
    ("USB-C cable, 2 m", "Câble USB-C, 2 m"),
    ("Ceramic mug, 350 ml", "Tasse en céramique, 350 ml"),
)
_COMPANIES = ("Acme Outdoor Supplies Ltd", "Globex Office Products Inc.", "Initech Kitchenware SARL")
_PATHS = ("/products/", "/cart", "/checkout", "/category/outdoor", "/static/app.js", "/api/orders/")


def build(ctx: Context) -> LabelledDoc:
    roll = ctx.rng.random()
    if roll < 0.3:
        return _invoice(ctx)
    if roll < 0.55:
        return _product_page(ctx)
    if roll < 0.75:
        return _order_json(ctx)
    return _server_log(ctx)


def _invoice(ctx: Context) -> LabelledDoc:
    rng, lang = ctx.rng, ctx.language
    doc = DocBuilder(ctx.doc_id, Kind.NEGATIVE, lang, "pdf")
    text = Text()
    text.line("FACTURE" if ctx.fr else "INVOICE")
    text.line(f"{'N° de facture' if ctx.fr else 'Invoice number'}: INV-{ctx.day.year}-{rng.randrange(10**5):05d}")
    text.line(f"{'Date' if not ctx.fr else 'Date de facture'}: {numeric_date(ctx.day, lang)}")
    text.line(f"{'Client' if ctx.fr else 'Bill to'}: {rng.choice(_COMPANIES)}")
    text.line(f"{'Bon de commande' if ctx.fr else 'Purchase order'}: PO-{rng.randrange(10**6):06d}")
    text.line("")
    total = 0.0
    for en, fr in rng.sample(_PRODUCTS, rng.randint(2, 5)):
        quantity, price = rng.randint(1, 40), rng.uniform(2, 80)
        total += quantity * price
        text.line(f"SKU {rng.randrange(1000, 9999)}-{rng.randrange(100, 999)}  {fr if ctx.fr else en}  "
                  f"{quantity} x {decimal(price, 2, lang)} EUR")  # fmt: skip
    text.line("")
    text.line(f"{'Total TTC' if ctx.fr else 'Total due'}: {decimal(total, 2, lang)} EUR")
    text.line("Paiement à 30 jours." if ctx.fr else "Payment terms: net 30 days.")
    doc.segment(text, where="page 1")
    doc.file_name(Text().add(f"invoices/{ctx.day.year}/INV-{ctx.number:06d}.pdf"))
    return doc.build((), phi=False)


def _product_page(ctx: Context) -> LabelledDoc:
    rng, lang = ctx.rng, ctx.language
    en, fr = rng.choice(_PRODUCTS)
    doc = DocBuilder(ctx.doc_id, Kind.NEGATIVE, lang, "text")
    doc.segment(Text().add(fr if ctx.fr else en))
    price = decimal(rng.uniform(5, 90), 2, lang)
    if ctx.fr:
        doc.segment(Text().add(f"Prix : {price} EUR. En stock, expédié sous 48 h. Référence {rng.randrange(10**6)}."))
        doc.segment(Text().add("Note moyenne 4,6 sur 5 (128 avis). Livraison gratuite dès 50 EUR d'achat."))
    else:
        doc.segment(
            Text().add(f"Price: {price} EUR. In stock, ships within 2 business days. Item {rng.randrange(10**6)}.")
        )
        doc.segment(Text().add("Rated 4.6 out of 5 (128 reviews). Free shipping on orders over 50 EUR."))
    doc.file_name(Text().add(f"site/products/item-{ctx.number:06d}.txt"))
    return doc.build((), phi=False)


def _order_json(ctx: Context) -> LabelledDoc:
    rng = ctx.rng
    doc = DocBuilder(ctx.doc_id, Kind.NEGATIVE, ctx.language, "json")
    doc.field("order_id", str(rng.randrange(10**5, 10**6)), None, where="order_id")
    doc.field("status", rng.choice(("shipped", "pending", "delivered")), None, where="status")
    doc.field("created_at", f"{ctx.day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z", None,
              where="created_at")  # fmt: skip
    for index in range(rng.randint(1, 3)):
        doc.field("items.sku", f"{rng.randrange(1000, 9999)}-{rng.randrange(100, 999)}", None,
                  where=f"items[{index}].sku")  # fmt: skip
        doc.field("items.quantity", str(rng.randint(1, 9)), None, where=f"items[{index}].quantity")
    doc.field("total", decimal(rng.uniform(10, 300), 2, "en"), None, where="total")
    doc.file_name(Text().add(f"orders/{ctx.day.isoformat()}/order-{ctx.number:06d}.json"))
    return doc.build((), phi=False)


def _server_log(ctx: Context) -> LabelledDoc:
    rng = ctx.rng
    doc = DocBuilder(ctx.doc_id, Kind.NEGATIVE, ctx.language, "text")
    text = Text()
    for _ in range(rng.randint(4, 12)):
        stamp = f"{ctx.day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"
        if rng.random() < 0.5:
            ip = f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randrange(1, 255)}"
            text.fill(
                '{ip} - - [{stamp}] "GET {path}{n} HTTP/1.1" 200 {size}\n',
                ip=(ip, C.IP_ADDRESS),
                stamp=stamp,
                path=rng.choice(_PATHS),
                n=str(rng.randrange(1000)),
                size=str(rng.randrange(99999)),
            )
        else:
            order, items, total = rng.randrange(10**5, 10**6), rng.randint(1, 9), rng.randrange(1000, 30000) / 100
            text.line(f"{stamp} INFO order={order} status=shipped items={items} total={total:.2f} warehouse=W{items}")
    doc.segment(text, where="log")
    doc.file_name(Text().add(f"logs/app-{ctx.day.isoformat()}-{ctx.number}.log"))
    return doc.build((), phi=False)
