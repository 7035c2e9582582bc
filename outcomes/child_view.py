"""The child's own view of a review: a face for each domain, on a scale of 3 or 5 faces.

One home for the faces' words, how a face sits on the star's scale (for the radar beside the
practitioner's readings), storing and reading a review's child view. No Flask imports.
"""

from .db import id_list
from .rules import counted, latest_first

SCALES = (5, 3)
DEFAULT_FACES = 5
# What each face says, from the saddest to the happiest: the text alternative of its picture.
FACE_WORDS = {
    5: ("Very sad", "Sad", "In between", "Happy", "Very happy"),
    3: ("Sad", "In between", "Happy"),
}


def face_word(face, faces):
    return FACE_WORDS[faces][face - 1]


def faces_for_form(faces):
    """[(face, word)] from the happiest down, as the child's screen lists them."""
    return [(face, FACE_WORDS[faces][face - 1]) for face in range(faces, 0, -1)]


def on_star_scale(face, faces, scale_min, scale_max):
    """A face as a point on the star's scale (saddest = lowest, happiest = highest), two decimals.

    The child answers a different question from the practitioner's, so this only places the
    child's view on the same radar; it is never mixed into the practitioner's figures.
    """
    return round(scale_min + (face - 1) * (scale_max - scale_min) / (faces - 1), 2)


def check(star, child_view, errors):
    """Each face is for a domain of the review's star (the schema checked the faces' range)."""
    if not child_view:
        return
    keys = {domain["key"] for domain in star["domains"]}
    unknown = {
        key: [f"Unknown domain for the {star['name']}."] for key in child_view["readings"] if key not in keys
    }
    if unknown:
        errors["child_view"] = {"readings": unknown}


def store(db, review_id, domain_ids, child_view):
    """Replace the review's child view with `child_view` (None: none)."""
    db.execute("DELETE FROM child_readings WHERE review_id = ?", [review_id])
    if not child_view:
        return
    db["child_readings"].insert_all(
        {"review_id": review_id, "domain_id": domain_ids[key], "faces": child_view["faces"], "face": face}
        for key, face in child_view["readings"].items()
    )


def of_review(db, review_id):
    """{"faces": n, "readings": {domain key: face}} in the star's order, or None."""
    rows = list(
        db.query(
            """SELECT d.key, cr.face, cr.faces FROM child_readings cr JOIN domains d ON d.id = cr.domain_id
               WHERE cr.review_id = ? ORDER BY d.position""",
            [review_id],
        )
    )
    if not rows:
        return None
    return {"faces": rows[0]["faces"], "readings": {row["key"]: row["face"] for row in rows}}


def copy_to_version(db, old_id, new_id):
    """An amendment keeps the child's view: the child said it, the practitioner cannot change it."""
    db.execute(
        """INSERT INTO child_readings (review_id, domain_id, faces, face)
           SELECT ?, domain_id, faces, face FROM child_readings WHERE review_id = ?""",
        [new_id, old_id],
    )


def latest_for_chart(db, child_id, service_id, star, domains):
    """The newest counted review's child view on `domains`: date, faces, words and radar points.

    One statement, so the child's page stays a handful of them.
    """
    rows = db.execute(
        f"""SELECT r.date, d.key, cr.face, cr.faces FROM child_readings cr
            JOIN reviews r ON r.id = cr.review_id JOIN domains d ON d.id = cr.domain_id
            WHERE cr.review_id = (
                SELECT r.id FROM reviews r
                WHERE r.child_id = ? AND r.service_id = ? AND {counted()}
                  AND EXISTS (SELECT 1 FROM child_readings c WHERE c.review_id = r.id)
                ORDER BY {latest_first()} LIMIT 1)""",
        [child_id, service_id],
    ).fetchall()
    if not rows:
        return None
    faces, by_key = rows[0][3], {key: face for _, key, face, _ in rows}
    chosen = [by_key.get(domain["key"]) for domain in domains]
    return {
        "date": rows[0][0],
        "faces": faces,
        "chosen": chosen,
        "words": [face_word(face, faces) if face else None for face in chosen],
        "scores": [
            on_star_scale(face, faces, star["scale_min"], star["scale_max"]) if face else None
            for face in chosen
        ],
    }


def default_faces(db, child_id):
    """How many faces to offer: the number this child used last time (chosen per child), else 5."""
    return default_faces_by_child(db, [child_id])[child_id]


def default_faces_by_child(db, child_ids):
    """default_faces for many children in one statement: {child id: faces}. Their last child's
    view in any review (whichever service), newest by date and then by id."""
    faces = dict.fromkeys(child_ids, DEFAULT_FACES)
    for child_id, used in db.execute(
        """SELECT child_id, faces FROM (
               SELECT r.child_id, cr.faces,
                      row_number() OVER (PARTITION BY r.child_id ORDER BY r.date DESC, r.id DESC) AS newest
               FROM child_readings cr JOIN reviews r ON r.id = cr.review_id
               WHERE r.child_id IN (SELECT value FROM json_each(?)))
           WHERE newest = 1""",
        [id_list(child_ids)],
    ):
        faces[child_id] = used
    return faces
