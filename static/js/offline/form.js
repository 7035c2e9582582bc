// Turns a review form (the server's page or the offline shell's copy of it) into the JSON body
// of POST /api/v1/reviews, field for field as practitioner.review_body_from_form does, and fills
// a form back from such a body (as values_from_review does) when a saved review is re-opened.
// No rules here: the server checks the body and says what is wrong.
(function () {
  "use strict";

  function numberOrText(value) {
    value = (value || "").trim();
    return /^\d+$/.test(value) ? parseInt(value, 10) : value;
  }

  function value(form, name) {
    var field = form.elements.namedItem(name);
    return field && typeof field.value === "string" ? field.value : "";
  }

  function readings(form) {
    var result = {};
    form.querySelectorAll("input[type=radio][name^='reading-']").forEach(function (input) {
      if (!input.checked) return;
      var key = input.name.slice("reading-".length);
      result[key] = input.value === "na"
        ? { not_assessed: value(form, "reason-" + key) }
        : numberOrText(input.value);
    });
    return result;
  }

  function newTargets(form) {
    var targets = [];
    form.querySelectorAll("[name^='target-'][name$='-description']").forEach(function (description) {
      var prefix = description.name.slice(0, -"description".length);
      var fields = {};
      ["domain", "description", "target_score", "due_date", "importance", "difficulty"].forEach(function (name) {
        fields[name] = value(form, prefix + name).trim();
      });
      if (!fields.description && !fields.target_score) return;
      var target = { domain: fields.domain, description: fields.description,
                     target_score: numberOrText(fields.target_score) };
      if (fields.due_date) target.due_date = fields.due_date;
      ["importance", "difficulty"].forEach(function (name) {
        if (fields[name]) target[name] = numberOrText(fields[name]);
      });
      targets.push(target);
    });
    return targets;
  }

  function closings(form) {
    var result = [];
    form.querySelectorAll("select[name^='outcome-']").forEach(function (select) {
      if (!select.value) return;
      var id = select.name.slice("outcome-".length);
      // The select's values are attainment levels ("-2".."2") or "withdrawn", as on the server's form.
      var entry = { target_id: parseInt(id, 10) };
      if (/^[+-]?\d+$/.test(select.value)) entry.gas_level = parseInt(select.value, 10);
      else entry.outcome = select.value;
      var reason = value(form, "outcome-reason-" + id).trim();
      if (reason) entry.reason = reason;
      result.push(entry);
    });
    return result;
  }

  // The faces the child tapped on the chosen scale (as practitioner.child_view_from_form), or null.
  function childView(form) {
    var chosen = form.querySelector("input[name='child_faces']:checked");
    var faces = chosen ? chosen.value : "";
    var result = {};
    form.querySelectorAll("input[type=radio][name^='child" + faces + "-']").forEach(function (input) {
      if (input.checked) result[input.name.slice(("child" + faces + "-").length)] = numberOrText(input.value);
    });
    return Object.keys(result).length ? { faces: numberOrText(faces), readings: result } : null;
  }

  // Field name -> value for a body: the inverse of bodyFromForm.
  function fieldValues(body) {
    var values = { uuid: body.uuid, date: body.date, notes: body.notes, internal_notes: body.internal_notes };
    Object.keys(body.readings || {}).forEach(function (key) {
      var reading = body.readings[key];
      var notAssessed = reading !== null && typeof reading === "object";
      values["reading-" + key] = notAssessed ? "na" : reading;
      if (notAssessed) values["reason-" + key] = reading.not_assessed;
    });
    (body.targets || []).forEach(function (target, row) {
      ["domain", "description", "target_score", "due_date", "importance", "difficulty"].forEach(function (name) {
        values["target-" + row + "-" + name] = target[name];
      });
    });
    if (body.child_view) {
      values.child_faces = body.child_view.faces;
      Object.keys(body.child_view.readings).forEach(function (key) {
        values["child" + body.child_view.faces + "-" + key] = body.child_view.readings[key];
      });
    }
    (body.target_outcomes || []).forEach(function (closing) {
      var level = closing.gas_level;
      values["outcome-" + closing.target_id] = level === undefined || level === null ? closing.outcome : level;
      values["outcome-reason-" + closing.target_id] = closing.reason;
    });
    return values;
  }

  function fill(form, body) {
    var values = fieldValues(body);
    Object.keys(values).forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field || values[name] === undefined || values[name] === null) return;
      // One assignment fits every kind: a radio group checks the radio with that value, a select picks it.
      field.value = String(values[name]);
    });
  }

  window.OfflineForm = {
    fill: fill,
    bodyFromForm: function (form, submitter) {
      return {
        uuid: value(form, "uuid"),
        child_id: parseInt(form.dataset.childId, 10),
        service: form.dataset.service,
        date: value(form, "date"),
        readings: readings(form),
        targets: newTargets(form),
        target_outcomes: closings(form),
        notes: value(form, "notes"),
        internal_notes: value(form, "internal_notes"),
        child_view: childView(form),
        submit: !!submitter && submitter.value === "submit",
      };
    },
  };
})();
