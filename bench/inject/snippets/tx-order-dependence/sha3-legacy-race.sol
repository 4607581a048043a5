// @class tx-order-dependence
// @shape legacy `if (sha3(answer) == hash)` answer race paying the whole balance (before 0.5)
// @when <0.5.0
// @members
    bytes32 internal riddleHash__ID__;
    address internal riddler__ID__ = msg.sender;

    function setRiddle__ID__(bytes32 h) public payable {
        if (msg.sender != riddler__ID__) throw;
        riddleHash__ID__ = h;
    }

    function answerRiddle__ID__(string memory answer) public {
        if (sha3(answer) == riddleHash__ID__) { // @bug
            if (!msg.sender.send(this.balance)) throw;
        }
    }
