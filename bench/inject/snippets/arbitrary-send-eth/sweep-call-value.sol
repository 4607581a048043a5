// @class arbitrary-send-eth
// @shape low-level call sending the whole balance to a caller-chosen address
// @members
    function sweep__ID__(address to) public {
        {{OK(ok, {{CALLV(to, {{THISBAL}})}})}}; // @bug
        {{REQ(ok)}}
    }
