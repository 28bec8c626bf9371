// The publication calendar. The server sends the workspace's wall-clock times without an offset, and the
// calendar runs with timeZone 'UTC' so it shows them as written ("floating"), whatever the browser's zone.
// Text from posts and channels only ever reaches the page through FullCalendar's textContent, never as HTML.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("calendar-config").textContent);
  // The month the page opened on arrives inside the page; it is used once, later ranges are fetched.
  let embedded = JSON.parse(document.getElementById("calendar-events").textContent);
  const embeddedRange = { start: Date.parse(config.embedded.start + "Z"), end: Date.parse(config.embedded.end + "Z") };
  const notice = document.getElementById("calendar-notice");

  function say(text, kind) {
    notice.className = "alert py-2 small alert-" + kind;
    notice.textContent = text;
  }

  // In 'UTC' mode a Date's UTC fields are the wall-clock the user sees.
  function wallClock(date) {
    return date.toISOString().slice(0, 19);
  }

  function loadPublications(info, success, failure) {
    if (embedded && info.start.valueOf() >= embeddedRange.start && info.end.valueOf() <= embeddedRange.end) {
      success(embedded);
      embedded = null;
      return;
    }
    embedded = null;
    const url = new URL(config.eventsUrl, window.location.href);
    url.searchParams.set("start", wallClock(info.start));
    url.searchParams.set("end", wallClock(info.end));
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(response.statusText))))
      .then(success, (error) => {
        say(config.messages.loadFailed, "danger");
        failure(error);
      });
  }

  async function movePublication(info) {
    const body = new URLSearchParams({ job: info.event.id, start: wallClock(info.event.start) });
    let reply;
    try {
      const response = await fetch(config.moveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": config.csrfToken, Accept: "application/json" },
        body: body,
      });
      reply = await response.json().catch(() => ({ error: config.messages.moveFailed }));
      if (!response.ok) {
        throw new Error(reply.error || config.messages.moveFailed);
      }
    } catch (error) {
      info.revert();
      say(error.message || config.messages.moveFailed, "danger");
      return;
    }
    say([reply.message].concat(reply.warnings).join(" "), reply.warnings.length ? "warning" : "success");
    calendar.refetchEvents();
  }

  const calendar = new FullCalendar.Calendar(document.getElementById("calendar"), {
    timeZone: "UTC",
    locale: config.locale,
    now: config.now,
    initialDate: config.initialDate,
    initialView: "dayGridMonth",
    headerToolbar: { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listWeek" },
    height: "auto",
    dayMaxEvents: true,
    allDaySlot: false, // a publication always has a time
    nowIndicator: true,
    editable: false, // events that may move say so themselves (startEditable)
    eventSources: [{ id: "publications", events: loadPublications }, { id: "queue", events: config.queueSlots }],
    eventDidMount(info) {
      const props = info.event.extendedProps;
      if (props.statusLabel) {
        info.el.title = props.statusLabel + " · " + info.event.title;
        info.el.dataset.status = props.status;
        info.el.dataset.jobId = info.event.id;
      }
    },
    eventDrop: movePublication,
  });
  calendar.render();
})();
