// @class weak-randomness
// @shape winner index `uint(blockhash(block.number - 1)) % players.length`
// @members
    address[] internal players__ID__;

    function join__ID__() public payable {
        {{REQ(msg.value == 0.1 ether)}}
        players__ID__.push(msg.sender);
    }

    function draw__ID__() public {
        {{REQ(players__ID__.length > 1)}}
        uint256 idx = uint256({{BHASH(block.number - 1)}}) % players__ID__.length; // @bug
        address winner = players__ID__[idx];
        delete players__ID__;
        {{XFER({{PAY(winner)}}, {{THISBAL}})}}
    }
