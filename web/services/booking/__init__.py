"""The booking flow: requests and answers, engagements and their visit plans, visits, reports, reminders.

Modules (each flushes only; the boundary's ``with transaction():`` commits):

- ``access``: who may see which request, engagement and visit (one rule per kind) and which side a user acts for;
- ``capacity``: the expert's monthly load (``expert_load``), booked with one guarded UPDATE per month;
- ``schedule``: the expert's timetable: the SQLite write lock, overlap checks, unavailable days;
- ``notify``: in-app notification plus mail, once per event;
- ``plans``: the visit plan a request asks for (months, modes, days and times);
- ``requests``: send, withdraw, accept, decline;
- ``visits``: confirm, move, cancel;
- ``reports``: file, acknowledge, ask;
- ``engagements``: complete, cancel, extend;
- ``sweeps``: what the scheduled jobs do (reminders, expiry, nudges).
"""
