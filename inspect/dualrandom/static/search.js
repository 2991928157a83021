/* Object lookup from the static index: search/index.json lists shards of
   [id, name, page] sorted by id. A credit-code-like query reads only the
   shards whose id range can hold it; any other query scans names and ids
   shard by shard until it has enough hits. Without JavaScript (or from a
   local file, where browsers refuse to fetch) the plain lists remain. */
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || !window.fetch) { return; }
  var form = document.getElementById("search-form"), input = document.getElementById("q");
  var status = document.getElementById("search-status"), list = document.getElementById("search-results");
  var indexUrl = box.getAttribute("data-index"), root = box.getAttribute("data-root"), LIMIT = 50;
  box.hidden = false;

  function load(url) {
    return fetch(url).then(function (r) { if (!r.ok) { throw new Error(url); } return r.json(); });
  }
  function mayHold(shard, prefix) {
    return shard.last >= prefix && shard.first.slice(0, prefix.length) <= prefix;
  }
  function show(hits, query) {
    list.textContent = "";
    hits.forEach(function (hit) {
      var item = document.createElement("li"), link = document.createElement("a");
      link.href = root + hit[2];
      link.textContent = hit[1] + "（" + hit[0] + "）";
      item.appendChild(link);
      list.appendChild(item);
    });
    status.textContent = hits.length ? "找到 " + hits.length + (hits.length >= LIMIT ? "+" : "") + " 个检查对象"
      : "未找到与“" + query + "”相符的检查对象";
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = input.value.trim(), upper = query.toUpperCase(), hits = [];
    if (!query) { return; }
    var byId = /^[0-9A-Z]{6,18}$/.test(upper) && /[0-9]/.test(upper);
    status.textContent = "正在查询……";
    load(indexUrl).then(function (index) {
      var base = indexUrl.slice(0, indexUrl.lastIndexOf("/") + 1);
      var shards = index.shards.filter(function (s) { return !byId || mayHold(s, upper); });
      function next(i) {
        if (i >= shards.length || hits.length >= LIMIT) { show(hits, query); return null; }
        return load(base + shards[i].file).then(function (rows) {
          rows.forEach(function (row) {
            var found = byId ? row[0].indexOf(upper) === 0
              : row[0].toUpperCase().indexOf(upper) >= 0 || row[1].indexOf(query) >= 0;
            if (found && hits.length < LIMIT) { hits.push(row); }
          });
          return next(i + 1);
        });
      }
      return next(0);
    }).catch(function () {
      status.textContent = "无法读取检索索引，请使用下方的检查对象名录。";
    });
  });
}());
