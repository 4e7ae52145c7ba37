// Yanxiu: a phone's big photo made smaller before it is uploaded (progressive enhancement).
//
// A form marked data-photo-limit="BYTES" (the server's upload limit) has its file inputs
// watched: an image chosen there that is larger than the limit, or wider or taller than
// MAX_EDGE pixels, is drawn on a canvas at most TARGET_EDGE pixels on its longer side and
// replaced in the input by that JPEG, and the form says so under the input (the form's
// data-photo-said, data-photo-working and data-photo-failed: the page's language). The
// submit buttons wait while it is drawn. Without JavaScript, or where the browser cannot draw
// or replace the file, the photo is sent as chosen and the server refuses one too large.
(function () {
  "use strict";
  var MAX_EDGE = 4096;     // px: a 12 MP phone photo (4032 × 3024) is kept as it is
  var TARGET_EDGE = 3200;  // px: a certificate's small print stays legible
  var IMAGE = /^image\/(jpeg|png|webp|gif|bmp)$/;

  function mb(bytes) {
    return (bytes / 1048576).toFixed(1);
  }

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  function note(input, text, failed) {
    var id = (input.id || input.name) + "-photo-note";
    var box = document.getElementById(id);
    if (!box) {
      box = document.createElement("div");
      box.id = id;
      box.className = "form-text";
      box.setAttribute("data-testid", "photo-note");
      box.setAttribute("role", "status");
      input.insertAdjacentElement("afterend", box);
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + id).trim());
    }
    box.textContent = text;
    box.classList.toggle("text-danger", Boolean(failed));
  }

  function clearNote(input) {
    var box = document.getElementById((input.id || input.name) + "-photo-note");
    if (box) { box.remove(); }
  }

  function busy(form, on) {
    form.querySelectorAll("[type=submit]").forEach(function (b) { b.disabled = on; });
    if (on) { form.setAttribute("aria-busy", "true"); } else { form.removeAttribute("aria-busy"); }
  }

  function decoded(file) {
    return window.createImageBitmap(file, { imageOrientation: "from-image" });
  }

  function jpeg(bitmap, edge, quality) {
    var scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";  // a transparent PNG on white, as a JPEG has no transparency
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) {
        if (blob) { resolve({ blob: blob, width: canvas.width, height: canvas.height }); }
        else { reject(new Error("toBlob")); }
      }, "image/jpeg", quality);
    });
  }

  // smaller and smaller until it fits the limit (a few tries: a photo is never this large twice)
  function fitting(bitmap, limit) {
    var tries = [[TARGET_EDGE, 0.85], [TARGET_EDGE, 0.7], [2400, 0.7], [1600, 0.7]];
    function next(i) {
      return jpeg(bitmap, tries[i][0], tries[i][1]).then(function (made) {
        return made.blob.size <= limit || i === tries.length - 1 ? made : next(i + 1);
      });
    }
    return next(0);
  }

  function shrink(form, input) {
    var limit = parseInt(form.getAttribute("data-photo-limit"), 10);
    var file = input.files && input.files[0];
    clearNote(input);
    if (!file || !IMAGE.test(file.type) || !limit) { return; }
    if (!window.createImageBitmap || !window.DataTransfer || !HTMLCanvasElement.prototype.toBlob) { return; }
    busy(form, true);
    note(input, form.getAttribute("data-photo-working") || "");
    decoded(file).then(function (bitmap) {
      if (file.size <= limit && Math.max(bitmap.width, bitmap.height) <= MAX_EDGE) {
        clearNote(input);
        return;
      }
      return fitting(bitmap, limit).then(function (made) {
        var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
        var list = new DataTransfer();
        list.items.add(new File([made.blob], name, { type: "image/jpeg", lastModified: file.lastModified }));
        input.files = list.files;
        note(input, fill(form.getAttribute("data-photo-said") || "", {
          size: mb(file.size), n: Math.floor(limit / 1048576), width: made.width, height: made.height,
          "new": mb(made.blob.size), name: name
        }));
      });
    }).catch(function () {
      note(input, form.getAttribute("data-photo-failed") || "", true);  // sent as chosen: the server says
    }).then(function () {
      busy(form, false);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-photo-limit]").forEach(function (form) {
      form.querySelectorAll("input[type=file]").forEach(function (input) {
        input.addEventListener("change", function () { shrink(form, input); });
      });
    });
  });
}());
