-- expect_100_continue: the client asks Expect: 100-continue; the upstream sends 100, reads
-- the body, and answers 200.
--
-- Models: curl and most HTTP client libraries uploading more than a few KiB.
--
-- RFC 9110 10.1.1: a client that sent Expect: 100-continue may send the body after a 100 (or
-- after a wait). A proxy either forwards the expectation or answers 100 itself and reads the
-- body; either way the upstream gets the whole body and the client gets the 200.
--
-- curl -H 'Expect: 100-continue' -d hello, directly: 100 Continue, then 200.
return scenario {
  summary = "Expect: 100-continue; the upstream sends 100, reads the 5-byte body, answers 200",
  expect  = { status = 200, upstream = { method = "POST", body_length = 5 } },
  rfc     = "RFC 9110 10.1.1",
  continue100 = true,
  client  = { request { method = "POST", body = "hello", expect_100 = 1 } },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" } },
}
