/* Calls the hotline JSON API with the page session: same-origin cookie plus the CSRF header. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = meta ? meta.getAttribute("content") : "";

  function ApiError(status, body) {
    this.status = status;
    this.body = body || {};
    this.message = (body && body.message) || ("HTTP " + status);
  }

  function request(method, path, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    };
    if (method !== "GET") {
      options.headers["X-CSRFToken"] = csrfToken;
    }
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      if (response.status === 401) {
        window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
      }
      if (response.status === 204) { return null; }
      return response.json().then(function (data) {
        if (!response.ok) { throw new ApiError(response.status, data); }
        return data;
      });
    });
  }

  function text(element, value) {
    if (element) { element.textContent = value === null || value === undefined ? "" : String(value); }
  }

  window.hotlineApi = {
    get: function (path) { return request("GET", path); },
    post: function (path, body) { return request("POST", path, body === undefined ? {} : body); },
    put: function (path, body) { return request("PUT", path, body); },
    text: text,
    ApiError: ApiError
  };
})();
