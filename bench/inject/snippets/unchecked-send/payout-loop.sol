// @class unchecked-send
// @shape unchecked `send` to each stored payee in a loop
// @members
    {{ADDRP}}[] internal members__ID__;

    function joinPool__ID__() public payable {
        {{REQ(msg.value == 1 ether)}}
        members__ID__.push({{SENDER}});
    }

    function splitPool__ID__() public {
        uint256 each = {{THISBAL}} / members__ID__.length;
        for (uint256 i = 0; i < members__ID__.length; i++) {
            members__ID__[i].send(each); // @bug
        }
        delete members__ID__;
    }
