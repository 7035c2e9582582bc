// The device's own store (IndexedDB): the outbox of reviews to send, and the kept copy of
// the signed-in practitioner's caseload ("kept": the user and the bundle, cleared on sign-out).
(function () {
  "use strict";
  var NAME = "outcomes-offline";
  var VERSION = 1;
  var opening = null;

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(NAME, VERSION);
        request.onupgradeneeded = function () {
          var db = request.result;
          db.createObjectStore("outbox", { keyPath: "uuid" }).createIndex("user_id", "user_id");
          db.createObjectStore("kept", { keyPath: "key" });
        };
        request.onsuccess = function () {
          // Another tab upgrading the store must not be blocked by this one.
          request.result.onversionchange = function () { request.result.close(); opening = null; };
          resolve(request.result);
        };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opening;
  }

  // One transaction; resolves with the last request's result once it has committed.
  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var request = work(tx.objectStore(storeName));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  window.OfflineStore = {
    get: function (store, key) { return run(store, "readonly", function (s) { return s.get(key); }); },
    all: function (store) { return run(store, "readonly", function (s) { return s.getAll(); }); },
    put: function (store, value) { return run(store, "readwrite", function (s) { return s.put(value); }); },
    remove: function (store, key) { return run(store, "readwrite", function (s) { return s.delete(key); }); },
  };
})();
