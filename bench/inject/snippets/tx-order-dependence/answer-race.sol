// @class tx-order-dependence
// @shape public answer race: `require(keccak256(answer) == answerHash)` then the prize to msg.sender (direct)
// @members
    address internal puzzleOwner__ID__ = msg.sender;
    bytes32 internal answerHash__ID__;

    function setPuzzle__ID__(bytes32 h) public payable {
        {{REQ(msg.sender == puzzleOwner__ID__)}}
        answerHash__ID__ = h;
    }

    function solve__ID__(string memory answer) public {
        {{REQ({{HASHSTR(answer)}} == answerHash__ID__)}} // @bug
        {{XFER({{SENDER}}, {{THISBAL}})}}
    }
