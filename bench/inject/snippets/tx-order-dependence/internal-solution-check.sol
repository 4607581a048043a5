// @class tx-order-dependence
// @shape answer race through an internal `_isSolution` helper, prize paid in an `if`; the prize is also set from msg.value by the quiz master (a second, reward-race bug)
// @members
    address internal quizMaster__ID__ = msg.sender;
    bytes32 internal solutionHash__ID__;
    uint256 internal prize__ID__;

    function setQuiz__ID__(bytes32 h) public payable {
        {{REQ(msg.sender == quizMaster__ID__)}}
        solutionHash__ID__ = h;
        prize__ID__ = msg.value;
    }

    function _isSolution__ID__(string memory s) internal {{VIEW}} returns (bool) {
        return {{HASHSTR(s)}} == solutionHash__ID__; // @bug:chk
    }

    function submit__ID__(string memory s) public {
        if (_isSolution__ID__(s)) { // @bug:chk
            {{XFER({{SENDER}}, prize__ID__)}} // @bug
        }
    }
